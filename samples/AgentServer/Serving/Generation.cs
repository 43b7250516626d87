namespace AgentServer.Serving;

/// <summary>What a request's run on a sequence produced.</summary>
/// <param name="PromptTokens">Tokens in the prompt.</param>
/// <param name="CachedTokens">Prompt tokens restored from the store instead of prefilled.</param>
/// <param name="Source">Where they came from: the deepest tier read, or why nothing was (miss, corrupt, rejected, off).</param>
/// <param name="Explain">The restore in one line, for the response header.</param>
/// <param name="TtftSeconds">From arrival to the first generated token.</param>
/// <param name="Text">The reply's text.</param>
/// <param name="CompletionTokens">Tokens generated.</param>
/// <param name="EndOfGeneration">Whether the model ended the reply itself (an end-of-generation token).</param>
/// <param name="Save">What saving the prompt's snapshot did.</param>
/// <param name="Cancelled">Whether generation stopped because the client went away, before the reply's end or limit.</param>
internal sealed record Generation(int PromptTokens, int CachedTokens, string Source, string Explain, double TtftSeconds,
    string Text, int CompletionTokens, bool EndOfGeneration, string Save, bool Cancelled);

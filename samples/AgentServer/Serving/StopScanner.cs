using System.Text;

namespace AgentServer.Serving;

/// <summary>
/// Ends a reply before the first of its <c>stop</c> strings, and while streaming holds back the reply's last few
/// characters that could still be the start of one, so a client never receives part of a stop string.
/// </summary>
/// <remarks>
/// vLLM does the same: <c>StopChecker.check_stop_strings</c> looks for the stop strings where the new text could
/// complete one (they may straddle tokens) and truncates the output before it, and <c>IncrementalDetokenizer</c>
/// (<c>vllm/v1/engine/detokenizer.py</c>) withholds <c>stop_buffer_length</c>, the longest stop string's length less
/// one, from a stream until the request finishes. The reply excludes the stop string, as OpenAI's does.
/// </remarks>
internal sealed class StopScanner(IReadOnlyList<string> stops)
{
    private readonly int _holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    private int _emitted;

    /// <summary>
    /// Called once <paramref name="pieceLength"/> new characters are appended to <paramref name="text"/>: cuts
    /// <paramref name="text"/> before a stop string if one is now complete (<paramref name="stopped"/>), and returns
    /// the text that may be sent now.
    /// </summary>
    public string Next(StringBuilder text, int pieceLength, out bool stopped)
    {
        stopped = false;
        if (stops.Count > 0)
        {
            // A stop string completed by this piece ends in it, so it starts no earlier than the held-back tail.
            int from = Math.Max(0, text.Length - pieceLength - _holdBack);
            string window = text.ToString(from, text.Length - from);
            int at = -1;
            foreach (string stop in stops)
            {
                int i = window.IndexOf(stop, StringComparison.Ordinal);
                if (i >= 0 && (at < 0 || i < at))
                {
                    at = i;
                }
            }

            if (at >= 0)
            {
                text.Length = from + at;
                stopped = true;
            }
        }

        return Emit(text, stopped ? text.Length : Math.Max(_emitted, text.Length - _holdBack));
    }

    /// <summary>What was held back, once the reply has ended without a stop string.</summary>
    public string Rest(StringBuilder text) => Emit(text, text.Length);

    private string Emit(StringBuilder text, int until)
    {
        string emit = text.ToString(_emitted, until - _emitted);
        _emitted = until;
        return emit;
    }
}

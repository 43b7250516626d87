using System.Text;

namespace AgentServer.Chat;

/// <summary>
/// Renders a chat as one prompt in a ChatML-style format (the <c>&lt;|im_start|&gt;role … &lt;|im_end|&gt;</c> turns of
/// OpenAI's ChatML, with tools and tool calls written as Qwen2.5 / Hermes templates write them): the tools' JSON inside
/// <c>&lt;tools&gt;</c> in the system turn, an assistant's calls as <c>&lt;tool_call&gt;</c> JSON lines, a tool result
/// inside <c>&lt;tool_response&gt;</c>, and an open assistant turn at the end.
/// </summary>
/// <remarks>
/// The synthetic model has no template of its own, so this one is used for every model. Rendering is a pure function
/// of the messages: a session's next request, which repeats the earlier messages and adds new ones, renders to the
/// earlier prompt plus a suffix, which is what lets the prefix cache restore the earlier prompt.
/// </remarks>
internal static class ChatTemplate
{
    public static string Render(ChatRequest request)
    {
        var sb = new StringBuilder();
        int first = 0;
        if (request.Messages.Count > 0 && request.Messages[0].Role is "system" or "developer")
        {
            Open(sb, "system").Append(request.Messages[0].Content);
            first = 1;
        }
        else if (request.Tools.Count > 0)
        {
            Open(sb, "system");
        }

        if (request.Tools.Count > 0)
        {
            sb.Append("\n\n# Tools\n\nYou may call one or more functions. Function signatures:\n<tools>\n");
            foreach (ToolDefinition tool in request.Tools)
            {
                sb.Append(tool.RawJson).Append('\n');
            }

            sb.Append("</tools>\nTo call a function, answer with <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.");
        }

        if (first == 1 || request.Tools.Count > 0)
        {
            Close(sb);
        }

        for (int i = first; i < request.Messages.Count; i++)
        {
            ChatMessage m = request.Messages[i];
            switch (m.Role)
            {
                case "tool":
                    Open(sb, "tool").Append("<tool_response>\n").Append(m.Content).Append("\n</tool_response>");
                    break;
                case "assistant":
                    Open(sb, "assistant").Append(m.Content);
                    foreach (ToolCall call in m.ToolCalls)
                    {
                        sb.Append("\n<tool_call>\n{\"name\": \"").Append(call.Name).Append("\", \"arguments\": ")
                          .Append(call.Arguments).Append("}\n</tool_call>");
                    }

                    break;
                default:
                    Open(sb, m.Role).Append(m.Content);
                    break;
            }

            Close(sb);
        }

        return sb.Append("<|im_start|>assistant\n").ToString();
    }

    private static StringBuilder Open(StringBuilder sb, string role) => sb.Append("<|im_start|>").Append(role).Append('\n');

    private static void Close(StringBuilder sb) => sb.Append("<|im_end|>\n");
}

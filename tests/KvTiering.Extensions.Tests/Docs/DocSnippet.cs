using System.Text;
using System.Text.RegularExpressions;

namespace KvTiering.Extensions.Tests.Docs;

/// <summary>
/// One ```csharp block of README.md or docs/*.md as a user would paste it, turned into a compilable file: its usings at
/// the top, its statements in a method, and declarations of the variables the surrounding text assumes (a layout, a
/// store, a host builder …) ahead of them, each only where the block uses the name without declaring it.
/// </summary>
internal sealed partial record DocSnippet(string File, int Line, string Code)
{
    /// <summary>What a block may use without declaring: the name and a declaration of it, in dependency order.</summary>
    private static readonly (string Name, string Declaration)[] s_context =
    [
        ("layout", "KvLayout layout = ModelPresets.Llama31_8B.Layout(tokensPerBlock: 16);"),
        ("options", "var options = new KvStoreOptions { Layout = layout };"),
        ("store", "TieredKvStore store = null!;"),
        ("decodeStore", "TieredKvStore decodeStore = null!;"),
        ("prefillStore", "TieredKvStore prefillStore = null!;"),
        ("sessionKeys", "BlockKey[] sessionKeys = [];"),
        ("hasher", "var hasher = new BlockHasher(layout);"),
        ("builder", "var builder = new { Services = (IServiceCollection)new ServiceCollection() };"),
        ("stateBytes", "byte[] stateBytes = [];"),
        ("connection", "StackExchange.Redis.IConnectionMultiplexer connection = null!;"),
        ("redisOptions", "var redisOptions = new RedisTierOptions();"),
        ("secret", "byte[] secret = new byte[32];"),
        ("key", "BlockKey key = default;"),
        ("parent", "BlockKey parent = default;"),
        ("kv", "byte[] kv = [];"),
        ("depth", "int depth = 0;"),
        ("session", "long session = 0;"),
    ];

    private static readonly string[] s_usings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Threading", "System.Threading.Tasks",
        "KvTiering.Blocks", "KvTiering.Caching", "KvTiering.Cost", "KvTiering.Eviction", "KvTiering.Placement",
        "KvTiering.Redis", "KvTiering.Store", "KvTiering.Tiers", "KvTiering.Transfer",
        "Microsoft.Extensions.Caching.Distributed", "Microsoft.Extensions.DependencyInjection",
    ];

    public override string ToString() => $"{File}:{Line}";

    /// <summary>Every ```csharp block of <paramref name="relativePath"/> under <paramref name="root"/>.</summary>
    public static IEnumerable<DocSnippet> Read(string root, string relativePath)
    {
        string[] lines = System.IO.File.ReadAllLines(Path.Combine(root, relativePath));
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp")
            {
                continue;
            }

            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            yield return new DocSnippet(relativePath, start + 1, string.Join('\n', lines[start..end]));
            i = end;
        }
    }

    /// <summary>A type declaration (a class to paste into a file of one's own), not statements.</summary>
    public bool DeclaresTypes => TypeDeclaration().IsMatch(Code);

    /// <summary>The block runs llama.cpp through LLamaSharp (a model's weights, a context): not referenced here.</summary>
    public bool UsesLlamaCpp => LlamaCpp().IsMatch(Code);

    /// <summary>The block as a file: usings, then one method holding the assumed declarations and the statements.</summary>
    public string ToCompilationUnit()
    {
        var usings = new List<string>();
        var body = new List<string>();
        foreach (string line in Code.Split('\n'))
        {
            (UsingDirective().IsMatch(line) ? usings : body).Add(line);
        }

        string statements = string.Join('\n', body);
        var text = new StringBuilder();
        foreach (string ns in s_usings)
        {
            text.Append("using ").Append(ns).Append(";\n");
        }

        foreach (string directive in usings.Where(u => !s_usings.Contains(u.Trim()[6..^1].Trim())))
        {
            text.Append(directive.Trim()).Append('\n');
        }

        bool isAsync = statements.Contains("await ", StringComparison.Ordinal);
        text.Append("internal static class Snippet\n{\n    internal static ")
            .Append(isAsync ? "async Task" : "void").Append(" Run()\n    {\n");
        // A declaration may itself use an earlier one (options uses layout): add names until none is missing.
        var assumed = new HashSet<string>(StringComparer.Ordinal);
        for (bool added = true; added;)
        {
            added = false;
            string all = statements + "\n" + string.Join('\n', s_context.Where(c => assumed.Contains(c.Name)).Select(c => c.Declaration));
            foreach ((string name, _) in s_context)
            {
                if (!assumed.Contains(name) && Uses(all, name) && !Declares(statements, name))
                {
                    added |= assumed.Add(name);
                }
            }
        }

        foreach ((string name, string declaration) in s_context.Where(c => assumed.Contains(c.Name)))
        {
            text.Append("        ").Append(declaration).Append('\n');
        }

        // Errors point at the documentation's own file and line.
        text.Append($"#line {Line + usings.Count} \"{File}\"\n").Append(statements).Append("\n#line default\n    }\n}\n");
        return text.ToString();
    }

    private static bool Uses(string code, string name) =>
        Regex.IsMatch(code, $@"(?<![\w.""]){Regex.Escape(name)}\b(?!\s*:)");

    private static bool Declares(string code, string name) =>
        Regex.IsMatch(code, $@"\b(var|[A-Z]\w*(<[\w, ]+>)?(\[\])?\??)\s+{Regex.Escape(name)}\s*(=|;)");

    [GeneratedRegex(@"\bLLama|\bLlama(PrefixCache|KvLayout|Prefill)\b")]
    private static partial Regex LlamaCpp();

    [GeneratedRegex(@"^\s*using\s+[\w.]+\s*;\s*$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^\s*(public|internal)?\s*(static\s+|sealed\s+)*(class|struct|record|interface)\s", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();
}

using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace KvTiering.Extensions.Tests.Docs;

/// <summary>
/// The C# a user pastes from README.md, the docs and the packages' readmes compiles against the current API: every
/// ```csharp block of the pages below, with the variables its text assumes declared ahead of it (<see cref="DocSnippet"/>).
/// Left out: blocks that declare types (docs/policies/writing-a-policy.md's, which needs the page's whole policy), the
/// llama.cpp blocks (their own tests build on a real engine: tests/KvTiering.LLamaSharp.Tests), and pages of the agent
/// policy and KV events, whose code has tests of its own.
/// </summary>
public sealed class DocSnippetTests
{
    private static readonly string[] s_pages =
    [
        "README.md", "docs/cost-model.md", "docs/ecosystem.md", "docs/placement.md", "docs/remote-tier.md",
        "docs/security.md", "docs/transfer.md", "docs/tiers.md", "docs/architecture.md", "docs/reliability.md",
        // The packages' own readmes: nuget.org shows them on each package's page.
        "src/KvTiering/README.md", "src/KvTiering.Extensions/README.md",
    ];

    private static readonly Lazy<MetadataReference[]> s_references = new(LoadReferences);

    public static TheoryData<string> Snippets
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (DocSnippet snippet in All())
            {
                data.Add(snippet.ToString());
            }

            return data;
        }
    }

    [Fact]
    public void The_pages_hold_the_blocks_this_test_compiles()
    {
        // A renamed fence or page would otherwise leave nothing to check, and every test below would pass vacuously.
        Assert.True(All().Count() >= 12, $"only {All().Count()} C# blocks found in {string.Join(", ", s_pages)}");
        Assert.Contains(All(), s => s.File == "README.md" && s.Code.Contains("new TieredKvStore(options)", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void A_documented_block_compiles(string where)
    {
        DocSnippet snippet = All().Single(s => s.ToString() == where);
        string source = snippet.ToCompilationUnit();
        CSharpCompilation compilation = CSharpCompilation.Create(
            "Snippet",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult result = compilation.Emit(image);
        string[] errors = [.. result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
        Assert.True(result.Success, $"{where} does not compile:\n{string.Join('\n', errors)}\n--- as compiled:\n{source}");
    }

    private static IEnumerable<DocSnippet> All()
    {
        string root = RepositoryRoot();
        return s_pages.SelectMany(page => DocSnippet.Read(root, page))
            .Where(s => !s.DeclaresTypes && !s.UsesLlamaCpp);
    }

    private static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvTiering.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No KvTiering.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The framework and every managed assembly beside the tests (KvTiering, its Extensions, Transfer, Redis).</summary>
    private static MetadataReference[] LoadReferences()
    {
        var paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string platform = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
        foreach (string path in platform.Split(Path.PathSeparator).Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll")))
        {
            try
            {
                paths.TryAdd(AssemblyName.GetAssemblyName(path).Name!, path);
            }
            catch (BadImageFormatException)
            {
                // a native library: nothing to reference
            }
        }

        return [.. paths.Values.Select(p => MetadataReference.CreateFromFile(p))];
    }
}

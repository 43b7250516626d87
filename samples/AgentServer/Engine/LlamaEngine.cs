using System.Text;
using KvTiering.Blocks;
using KvTiering.LLamaSharp;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using Microsoft.Extensions.Options;

namespace AgentServer.Engine;

/// <summary>
/// The model and its sequences: loads the GGUF (the synthetic random-weight llama unless a path is given), creates one
/// context per sequence and hands them out through a bounded queue.
/// </summary>
internal sealed class LlamaEngine : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly EngineSlot[] _slots;

    public LlamaEngine(IOptions<AgentServerOptions> options)
    {
        AgentServerOptions o = options.Value;
        Options = o;
        ModelPath = o.ModelPath ?? EnsureSynthetic(SyntheticModel(o), o.ModelDirectory ?? Path.Combine(Path.GetTempPath(), "kvtiering-models"));
        ModelName = o.ModelName ?? Path.GetFileNameWithoutExtension(ModelPath);
        ServedNames = [ModelName, .. o.ModelAliases.Where(a => a != ModelName).Distinct()];
        var parameters = new ModelParams(ModelPath)
        {
            ContextSize = (uint)o.ContextSize,
            BatchSize = 512,
            UBatchSize = 512,
            Threads = o.Threads,
            BatchThreads = o.Threads,
            GpuLayerCount = 0,
            // Flash attention's CPU kernel depends on how a prompt is split into batches (docs/llamasharp.md).
            FlashAttention = false,
        };
        try
        {
            _weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (LoadWeightsFailedException ex)
        {
            // A file that is there but is no GGUF llama.cpp loads (a truncated download, a safetensors file): one line
            // from Program, not an unhandled exception and an abort.
            throw new IOException($"AgentServer:ModelPath '{ModelPath}' is not a model llama.cpp can load (a GGUF file, complete).", ex);
        }

        // Keyed by the file's bytes too: snapshots outlive the server in its flash directory, and two GGUFs alike in
        // name, parameters and size must not restore each other's KV state.
        Layout = LlamaKvLayout.FromModelFile(_weights, ModelPath, tokensPerBlock: 16);
        Hasher = new BlockHasher(Layout);
        _slots = new EngineSlot[o.Sequences];
        for (int i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new EngineSlot(i, _weights.CreateContext(parameters));
        }

        Slots = new SlotPool<EngineSlot>(_slots, o.QueueLength);
    }

    public AgentServerOptions Options { get; }

    public string ModelPath { get; }

    /// <summary>The name replies carry and <c>/v1/models</c> lists first.</summary>
    public string ModelName { get; }

    /// <summary><see cref="ModelName"/> and then its aliases: the names a request's <c>model</c> may use.</summary>
    public IReadOnlyList<string> ServedNames { get; }

    public KvLayout Layout { get; }

    public BlockHasher Hasher { get; }

    public SlotPool<EngineSlot> Slots { get; }

    public int ContextSize => Options.ContextSize;

    public int VocabularySize => _weights.NativeHandle.Vocab.Count;

    /// <summary>
    /// Whether a request naming <paramref name="model"/> is for this model: one of <see cref="ServedNames"/>, or none
    /// named at all (vLLM's <c>check_model</c> serves an empty <c>model</c> with the one model it has).
    /// </summary>
    public bool Serves(string? model) => string.IsNullOrEmpty(model) || ServedNames.Contains(model, StringComparer.Ordinal);

    public LLamaToken[] Tokenize(string text) => _weights.Tokenize(text, true, true, Encoding.UTF8);

    public StreamingTokenDecoder NewDecoder() => new(Encoding.UTF8, _weights);

    public bool IsEndOfGeneration(LLamaToken token) => token.IsEndOfGeneration(_weights.NativeHandle.Vocab);

    public void Dispose()
    {
        foreach (EngineSlot slot in _slots)
        {
            slot.Dispose();
        }

        _weights.Dispose();
    }

    /// <summary>
    /// Writes the synthetic GGUF once, holding an exclusive lock file in its folder meanwhile, so servers starting at
    /// once (tests, AgentLoad's configurations, several processes) never load a half-written file: <c>EnsureGguf</c>
    /// writes in place.
    /// </summary>
    private static string EnsureSynthetic(SyntheticLlamaModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        string lockPath = Path.Combine(directory, ".write.lock");
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                using var held = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return model.EnsureGguf(directory);
            }
            catch (IOException) when (attempt < 600)
            {
                Thread.Sleep(100); // another server is writing the model
            }
        }
    }

    private static SyntheticLlamaModel SyntheticModel(AgentServerOptions o) => o.Preset.ToUpperInvariant() switch
    {
        "TINY" => SyntheticLlamaModel.Tiny,
        "SAMPLE" => SyntheticLlamaModel.Sample,
        _ => throw new OptionsValidationException(AgentServerOptions.SectionName, typeof(AgentServerOptions),
            [$"AgentServer:Preset '{o.Preset}' is not a synthetic model: use 'tiny' or 'sample', or set AgentServer:ModelPath to a GGUF."]),
    };
}

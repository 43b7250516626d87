namespace KvTiering.LLamaSharp.Gguf;

/// <summary>The ggml tensor types <see cref="GgufWriter"/> emits (values from ggml.h).</summary>
internal enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
}

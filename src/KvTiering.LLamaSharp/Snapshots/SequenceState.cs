using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LLama;
using LLama.Native;

namespace KvTiering.LLamaSharp.Snapshots;

/// <summary>
/// A llama.cpp sequence's state in and out of a snapshot payload: the covered token ids (little-endian int32s), then
/// the bytes of <c>llama_state_seq_get_data</c>.
/// </summary>
internal static class SequenceState
{
    /// <summary>
    /// Writes <paramref name="tokens"/>' ids and <paramref name="sequence"/>'s state into <paramref name="snapshots"/>'
    /// payload buffer; returns the state's length, or 0 when llama.cpp has none or it does not fit an array.
    /// </summary>
    public static unsafe long Write(SafeLLamaContextHandle context, LLamaSeqId sequence, ReadOnlySpan<int> tokens,
        SnapshotStore snapshots, out long tokenBytes)
    {
        tokenBytes = (long)tokens.Length * sizeof(int);
        long size = (long)context.GetStateSize(sequence);
        if (size <= 0 || tokenBytes + size > Array.MaxLength)
        {
            return 0;
        }

        byte[] buffer = snapshots.Payload(tokenBytes + size);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(tokens).CopyTo(buffer);
        }
        else
        {
            for (int i = 0; i < tokens.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * sizeof(int)), tokens[i]);
            }
        }

        fixed (byte* payload = buffer)
        {
            return (long)context.GetState(payload + tokenBytes, (nuint)size, sequence);
        }
    }

    /// <summary>
    /// Hands the verified state in <paramref name="payload"/> to llama.cpp; false (and the sequence cleared) when it
    /// refuses it or the sequence does not then hold exactly the snapshot's positions.
    /// </summary>
    public static unsafe bool Read(SafeLLamaContextHandle context, LLamaSeqId sequence, byte[] payload, in SnapshotManifest manifest)
    {
        nuint read;
        fixed (byte* bytes = payload)
        {
            read = context.SetState(bytes + manifest.TokenBytes, (nuint)manifest.StateLength, sequence);
        }

        if (read == (nuint)manifest.StateLength
            && context.MemorySequenceMinPosition(sequence).Value == 0
            && context.MemorySequenceMaxPosition(sequence).Value == manifest.TokenCount - 1)
        {
            return true;
        }

        context.MemorySequenceRemove(sequence, -1, -1);
        return false;
    }
}

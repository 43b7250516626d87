using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace KvTiering.Blocks;

// XXH3-128's path for inputs over 240 bytes (blocks of 57 tokens or more), AVX2: 64-byte stripes accumulated into
// eight 64-bit lanes, scrambled after every 1 KiB, merged at the end (xxHash reference, XXH3 specification).
/// <summary>XXH3-128's stripe loop for long inputs, chained as <see cref="ChainedXxh3"/> chains the short ones.</summary>
internal static class ChainedXxh3Stripes
{
    internal static void Chain(BlockKey parent, ref byte tokens, uint blockBytes, Span<BlockKey> destination)
    {
        ulong lo = parent.Low;
        ulong hi = parent.High;
        ref byte s = ref MemoryMarshal.GetReference(ChainedXxh3.Secret);
        uint n = ChainedXxh3.KeyBytes + blockBytes;
        int fullBlocks = (int)((n - 1) / 1024);
        int tailStripes = (int)((n - 1 - (1024 * (uint)fullBlocks)) / 64);
        ref BlockKey keys = ref MemoryMarshal.GetReference(destination);
        ref byte t = ref tokens;
        for (int i = 0; i < destination.Length; i++)
        {
            var acc0 = Vector256.Create((ulong)ChainedXxh3.Prime32_3, ChainedXxh3.Prime64_1, ChainedXxh3.Prime64_2, ChainedXxh3.Prime64_3);
            var acc1 = Vector256.Create(ChainedXxh3.Prime64_4, ChainedXxh3.Prime32_2, ChainedXxh3.Prime64_5, ChainedXxh3.Prime32_1);

            // Stripe 0 is the only one that holds the parent: (parent, tokens 0..48).
            Accumulate(ref acc0, ref acc1,
                Vector256.Create(Vector128.Create(lo, hi), Vector128.LoadUnsafe(ref t).AsUInt64()),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref t, 16)).AsUInt64(), ref s, 0);

            // Stripe j (j >= 1) starts at input offset 64j, token offset 64j - 16.
            int first = 1;
            nuint offset = 64 - 16;
            for (int b = 0; b < fullBlocks; b++)
            {
                for (int j = first; j < 16; j++, offset += 64)
                {
                    AccumulateAt(ref acc0, ref acc1, ref Unsafe.Add(ref t, offset), ref s, 8 * (uint)j);
                }

                Scramble(ref acc0, ref acc1, ref s);
                first = 0;
            }

            for (int j = first; j < tailStripes; j++, offset += 64)
            {
                AccumulateAt(ref acc0, ref acc1, ref Unsafe.Add(ref t, offset), ref s, 8 * (uint)j);
            }

            // The last stripe ends the input: input offset n - 64, token offset n - 64 - 16 = blockBytes - 64.
            AccumulateAt(ref acc0, ref acc1, ref Unsafe.Add(ref t, blockBytes - 64), ref s, 192 - 64 - 7);
            lo = Merge(acc0, acc1, ref s, 11, n * ChainedXxh3.Prime64_1);
            hi = Merge(acc0, acc1, ref s, 192 - 64 - 11, ~(n * ChainedXxh3.Prime64_2));
            Unsafe.Add(ref keys, i) = new BlockKey(lo, hi);
            t = ref Unsafe.Add(ref t, blockBytes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AccumulateAt(ref Vector256<ulong> acc0, ref Vector256<ulong> acc1, ref byte data, ref byte s, uint secret) =>
        Accumulate(ref acc0, ref acc1, Vector256.LoadUnsafe(ref data).AsUInt64(),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref data, 32)).AsUInt64(), ref s, secret);

    /// <summary>One 64-byte stripe: acc[i ^ 1] += data[i]; acc[i] += lo32(data[i] ^ key[i]) · hi32(data[i] ^ key[i]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector256<ulong> acc0, ref Vector256<ulong> acc1, Vector256<ulong> data0,
        Vector256<ulong> data1, ref byte s, uint secret)
    {
        acc0 = AccumulateLanes(acc0, data0, Vector256.LoadUnsafe(ref Unsafe.Add(ref s, secret)).AsUInt64());
        acc1 = AccumulateLanes(acc1, data1, Vector256.LoadUnsafe(ref Unsafe.Add(ref s, secret + 32)).AsUInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> AccumulateLanes(Vector256<ulong> acc, Vector256<ulong> data, Vector256<ulong> key)
    {
        Vector256<ulong> keyed = data ^ key;
        Vector256<ulong> product = Avx2.Multiply(keyed.AsUInt32(), Avx2.ShiftRightLogical(keyed, 32).AsUInt32());
        Vector256<ulong> swapped = Avx2.Shuffle(data.AsUInt32(), 0b01_00_11_10).AsUInt64();
        return acc + swapped + product;
    }

    /// <summary>After each 1 KiB: acc = (acc ^ (acc >> 47) ^ key) · PRIME32_1.</summary>
    private static void Scramble(ref Vector256<ulong> acc0, ref Vector256<ulong> acc1, ref byte s)
    {
        acc0 = ScrambleLanes(acc0, Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 128)).AsUInt64());
        acc1 = ScrambleLanes(acc1, Vector256.LoadUnsafe(ref Unsafe.Add(ref s, 160)).AsUInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> ScrambleLanes(Vector256<ulong> acc, Vector256<ulong> key)
    {
        acc = acc ^ Avx2.ShiftRightLogical(acc, 47) ^ key;
        Vector256<uint> prime = Vector256.Create((ulong)ChainedXxh3.Prime32_1).AsUInt32();
        Vector256<ulong> low = Avx2.Multiply(acc.AsUInt32(), prime);
        Vector256<ulong> high = Avx2.Multiply(Avx2.ShiftRightLogical(acc, 32).AsUInt32(), prime);
        return low + Avx2.ShiftLeftLogical(high, 32);
    }

    private static ulong Merge(Vector256<ulong> acc0, Vector256<ulong> acc1, ref byte s, uint secret, ulong start)
    {
        ref byte k = ref Unsafe.Add(ref s, secret);
        ulong result = start
            + ChainedXxh3.Fold(acc0.GetElement(0) ^ ChainedXxh3.Read(ref k, 0), acc0.GetElement(1) ^ ChainedXxh3.Read(ref k, 8))
            + ChainedXxh3.Fold(acc0.GetElement(2) ^ ChainedXxh3.Read(ref k, 16), acc0.GetElement(3) ^ ChainedXxh3.Read(ref k, 24))
            + ChainedXxh3.Fold(acc1.GetElement(0) ^ ChainedXxh3.Read(ref k, 32), acc1.GetElement(1) ^ ChainedXxh3.Read(ref k, 40))
            + ChainedXxh3.Fold(acc1.GetElement(2) ^ ChainedXxh3.Read(ref k, 48), acc1.GetElement(3) ^ ChainedXxh3.Read(ref k, 56));
        return ChainedXxh3.Avalanche(result);
    }
}

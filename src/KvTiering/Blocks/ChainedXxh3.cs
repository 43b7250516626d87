using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace KvTiering.Blocks;

// XXH3-128 (seed 0, default secret) of (parent key ‖ block tokens), computed without assembling that input: the
// parent stays in registers and the tokens are read where the caller keeps them. The result is bit-identical to
// XxHash128 over the concatenation (BlockHasherPathTests compares the two on every input path).
//
// The three input-length paths of XXH3-128 (17–128, 129–240 and over 240 bytes) follow the xxHash reference (Yann
// Collet, "xxHash – Extremely fast hash algorithm", XXH3 specification). Only the first 16 input bytes are the
// parent, and in each path they enter one early step, so most of a block's work does not depend on the previous key
// and the CPU overlaps it with the previous block's finish. Blocks of fewer than 8 tokens would read 16-byte words
// that straddle parent and tokens; they, big-endian machines and (for blocks over 56 tokens) machines without AVX2
// take the copying path. The stripe loop for long inputs is ChainedXxh3Stripes.

/// <summary>XXH3-128 of (parent key ‖ block tokens) along a chain of blocks, without assembling the input.</summary>
internal static class ChainedXxh3
{
    /// <summary>Bytes of the parent key that start each block's input.</summary>
    internal const int KeyBytes = 16;
    private const int MinFusedTokens = 8;
    internal const ulong Prime64_1 = 0x9E3779B185EBCA87UL;
    internal const ulong Prime64_2 = 0xC2B2AE3D27D4EB4FUL;
    internal const ulong Prime64_3 = 0x165667B19E3779F9UL;
    internal const ulong Prime64_4 = 0x85EBCA77C2B2AE63UL;
    internal const ulong Prime64_5 = 0x27D4EB2F165667C5UL;
    internal const uint Prime32_1 = 0x9E3779B1U;
    internal const uint Prime32_2 = 0x85EBCA77U;
    internal const uint Prime32_3 = 0xC2B2AE3DU;

    // XXH3's default secret (kSecret, 192 bytes).
    internal static ReadOnlySpan<byte> Secret =>
    [
        0xb8, 0xfe, 0x6c, 0x39, 0x23, 0xa4, 0x4b, 0xbe, 0x7c, 0x01, 0x81, 0x2c, 0xf7, 0x21, 0xad, 0x1c,
        0xde, 0xd4, 0x6d, 0xe9, 0x83, 0x90, 0x97, 0xdb, 0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f,
        0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78, 0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21,
        0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e, 0xe0, 0x35, 0x90, 0xe6, 0x81, 0x3a, 0x26, 0x4c,
        0x3c, 0x28, 0x52, 0xbb, 0x91, 0xc3, 0x00, 0xcb, 0x88, 0xd0, 0x65, 0x8b, 0x1b, 0x53, 0x2e, 0xa3,
        0x71, 0x64, 0x48, 0x97, 0xa2, 0x0d, 0xf9, 0x4e, 0x38, 0x19, 0xef, 0x46, 0xa9, 0xde, 0xac, 0xd8,
        0xa8, 0xfa, 0x76, 0x3f, 0xe3, 0x9c, 0x34, 0x3f, 0xf9, 0xdc, 0xbb, 0xc7, 0xc7, 0x0b, 0x4f, 0x1d,
        0x8a, 0x51, 0xe0, 0x4b, 0xcd, 0xb4, 0x59, 0x31, 0xc8, 0x9f, 0x7e, 0xc9, 0xd9, 0x78, 0x73, 0x64,
        0xea, 0xc5, 0xac, 0x83, 0x34, 0xd3, 0xeb, 0xc3, 0xc5, 0x81, 0xa0, 0xff, 0xfa, 0x13, 0x63, 0xeb,
        0x17, 0x0d, 0xdd, 0x51, 0xb7, 0xf0, 0xda, 0x49, 0xd3, 0x16, 0x55, 0x26, 0x29, 0xd4, 0x68, 0x9e,
        0x2b, 0x16, 0xbe, 0x58, 0x7d, 0x47, 0xa1, 0xfc, 0x8f, 0xf8, 0xb8, 0xd1, 0x7a, 0xd0, 0x31, 0xce,
        0x45, 0xcb, 0x3a, 0x8f, 0x95, 0x16, 0x04, 0x28, 0xaf, 0xd7, 0xfb, 0xca, 0xbb, 0x4b, 0x40, 0x7e,
    ];

    /// <summary>Whether blocks of <paramref name="blockTokens"/> tokens take the fused (copy-free) path here.</summary>
    internal static bool CanFuse(int blockTokens) =>
        BitConverter.IsLittleEndian
        && blockTokens >= MinFusedTokens
        && (KeyBytes + (blockTokens * sizeof(int)) <= 240 || Avx2.IsSupported);

    /// <summary>The fused chain; <see cref="CanFuse"/> must hold for the block size.</summary>
    internal static void ComputeKeys(BlockKey parent, ReadOnlySpan<byte> tokenBytes, int blockBytes,
        Span<BlockKey> destination, int count)
    {
        ref byte tokens = ref MemoryMarshal.GetReference(tokenBytes);
        int inputBytes = KeyBytes + blockBytes;
        if (inputBytes <= 128)
        {
            ChainShort(parent, ref tokens, (uint)blockBytes, destination[..count]);
        }
        else if (inputBytes <= 240)
        {
            ChainMid(parent, ref tokens, (uint)blockBytes, destination[..count]);
        }
        else
        {
            ChainedXxh3Stripes.Chain(parent, ref tokens, (uint)blockBytes, destination[..count]);
        }
    }

    private static void ChainShort(BlockKey parent, ref byte tokens, uint blockBytes, Span<BlockKey> destination)
    {
        // One loop per round count, so the loop body has no length tests.
        uint n = KeyBytes + blockBytes;
        if (n > 96)
        {
            ChainShort<FourRounds>(parent, ref tokens, blockBytes, destination);
        }
        else if (n > 64)
        {
            ChainShort<ThreeRounds>(parent, ref tokens, blockBytes, destination);
        }
        else
        {
            ChainShort<TwoRounds>(parent, ref tokens, blockBytes, destination);
        }
    }

    private static void ChainShort<TRounds>(BlockKey parent, ref byte tokens, uint blockBytes, Span<BlockKey> destination)
        where TRounds : struct, IRounds
    {
        ulong lo = parent.Low;
        ulong hi = parent.High;
        ref byte s = ref MemoryMarshal.GetReference(Secret);
        ref BlockKey keys = ref MemoryMarshal.GetReference(destination);
        ref byte t = ref tokens;
        uint n = KeyBytes + blockBytes;
        ulong startLo = n * Prime64_1;
        ulong lengthHi = n * Prime64_2;
        for (int i = 0; i < destination.Length; i++)
        {
            // Input offset o is token offset o - 16. Rounds k = 3..1 read only tokens; round 0 reads the parent.
            ulong accLo = startLo;
            ulong accHi = 0;
            if (TRounds.Count == 4)
            {
                Mix32(ref accLo, ref accHi, ref Unsafe.Add(ref t, 32), ref Unsafe.Add(ref t, blockBytes - 64), ref s, 96);
            }

            if (TRounds.Count >= 3)
            {
                Mix32(ref accLo, ref accHi, ref Unsafe.Add(ref t, 16), ref Unsafe.Add(ref t, blockBytes - 48), ref s, 64);
            }

            Mix32(ref accLo, ref accHi, ref t, ref Unsafe.Add(ref t, blockBytes - 32), ref s, 32);

            ref byte last = ref Unsafe.Add(ref t, blockBytes - 16);
            accLo += Fold(lo ^ Read(ref s, 0), hi ^ Read(ref s, 8));
            accLo ^= Read(ref last, 0) + Read(ref last, 8);
            accHi += Mix16(ref last, ref s, 16);
            accHi ^= lo + hi;

            lo = Avalanche(accLo + accHi);
            hi = 0 - Avalanche((accLo * Prime64_1) + (accHi * Prime64_4) + lengthHi);
            Unsafe.Add(ref keys, i) = new BlockKey(lo, hi);
            t = ref Unsafe.Add(ref t, blockBytes);
        }
    }

    private interface IRounds
    {
        static abstract int Count { get; }
    }

    private readonly struct TwoRounds : IRounds
    {
        public static int Count => 2;
    }

    private readonly struct ThreeRounds : IRounds
    {
        public static int Count => 3;
    }

    private readonly struct FourRounds : IRounds
    {
        public static int Count => 4;
    }

    private static void ChainMid(BlockKey parent, ref byte tokens, uint blockBytes, Span<BlockKey> destination)
    {
        ulong lo = parent.Low;
        ulong hi = parent.High;
        ref byte s = ref MemoryMarshal.GetReference(Secret);
        uint n = KeyBytes + blockBytes;
        uint rounds = n / 32;
        ulong startLo = n * Prime64_1;
        ulong lengthHi = n * Prime64_2;
        ref BlockKey keys = ref MemoryMarshal.GetReference(destination);
        ref byte t = ref tokens;
        for (int i = 0; i < destination.Length; i++)
        {
            ulong accLo = startLo;
            ulong accHi = 0;

            // Round 0: input bytes 0..16 are the parent, 16..32 the first tokens.
            accLo += Fold(lo ^ Read(ref s, 0), hi ^ Read(ref s, 8));
            accLo ^= Read(ref t, 0) + Read(ref t, 8);
            accHi += Mix16(ref t, ref s, 16);
            accHi ^= lo + hi;
            for (uint r = 1; r < 4; r++)
            {
                Mix32(ref accLo, ref accHi, ref Unsafe.Add(ref t, (32 * r) - 16), ref Unsafe.Add(ref t, 32 * r), ref s, 32 * r);
            }

            accLo = Avalanche(accLo);
            accHi = Avalanche(accHi);
            for (uint r = 4; r < rounds; r++)
            {
                Mix32(ref accLo, ref accHi, ref Unsafe.Add(ref t, (32 * r) - 16), ref Unsafe.Add(ref t, 32 * r), ref s, 3 + (32 * (r - 4)));
            }

            Mix32(ref accLo, ref accHi, ref Unsafe.Add(ref t, blockBytes - 16), ref Unsafe.Add(ref t, blockBytes - 32), ref s, 136 - 17 - 16);
            lo = Avalanche(accLo + accHi);
            hi = 0 - Avalanche((accLo * Prime64_1) + (accHi * Prime64_4) + lengthHi);
            Unsafe.Add(ref keys, i) = new BlockKey(lo, hi);
            t = ref Unsafe.Add(ref t, blockBytes);
        }
    }

    /// <summary>XXH128's 32-byte round over two 16-byte inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Mix32(ref ulong accLo, ref ulong accHi, ref byte first, ref byte second, ref byte s, uint secret)
    {
        accLo += Mix16(ref first, ref s, secret);
        accLo ^= Read(ref second, 0) + Read(ref second, 8);
        accHi += Mix16(ref second, ref s, secret + 16);
        accHi ^= Read(ref first, 0) + Read(ref first, 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix16(ref byte input, ref byte s, uint secret) =>
        Fold(Read(ref input, 0) ^ Read(ref s, secret), Read(ref input, 8) ^ Read(ref s, secret + 8));

    /// <remarks>
    /// The 128-bit multiply bounds the short path (the multiplier, not latency, is the bottleneck); computing the
    /// low half with a second multiply to keep it out of the stack measured slower.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Fold(ulong left, ulong right)
    {
        ulong high = Math.BigMul(left, right, out ulong low);
        return low ^ high;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Avalanche(ulong h)
    {
        h ^= h >> 37;
        h *= 0x165667919E3779F9UL;
        return h ^ (h >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static ulong Read(ref byte source, uint offset) => Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref source, offset));
}

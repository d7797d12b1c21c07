using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Kedge.Server.Forwarding;

/// <summary>
/// Generates <c>X-Kedge-Request-ID</c> values: UUIDs in the version-4 text form (as Go kedge's winch sent them), unique
/// without a system call per request. <see cref="Guid.NewGuid"/> reads the kernel's random source on every call, which
/// measured at about 2.5% of kedge's CPU per proxied request; an ID needs to be unique, not unpredictable. Each process
/// draws 74 random bits once; the remaining 48 bits count requests, passed through a bijection so consecutive IDs do not
/// reveal the request rate at a glance. IDs repeat only after 2^48 requests in one process.
/// </summary>
internal static class RequestIds
{
    /// <summary>
    /// The longest caller-supplied ID kedge keeps. Long enough for a prefix and a UUID or a W3C trace id
    /// (<c>winch-</c> + 36 characters is 42); short enough that an ID cannot bloat every log line and backend request.
    /// </summary>
    public const int MaxLength = 128;

    private const ulong CounterMask = (1UL << 48) - 1;

    // Odd, so multiplying by it permutes the integers modulo 2^48.
    private const ulong Mixer = 0x9E3779B97F4A7C15UL;

    // Bytes 0-9 of every ID: random, with the version and variant bits already set.
    private static readonly byte[] Prefix = CreatePrefix();
    private static long s_counter;

    public static string Next() => Format((ulong)Interlocked.Increment(ref s_counter));

    /// <summary>
    /// Whether a caller's ID may be forwarded: 1 to <see cref="MaxLength"/> visible ASCII characters (0x21-0x7E). Anything
    /// else (spaces, control bytes, non-ASCII) could not be sent on to the backend, or would break log lines and headers.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> id)
        => id.Length is > 0 and <= MaxLength && !id.ContainsAnyExceptInRange('!', '~');

    internal static string Format(ulong counter)
    {
        var mixed = (counter * Mixer) & CounterMask;
        mixed ^= mixed >> 24; // xor-shift by at least half the width: invertible, spreads the high bits down
        Span<byte> bytes = stackalloc byte[16];
        // Bytes 8-15 take the 48-bit value big-endian in 10-15; 8-9 are then restored from the prefix.
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], mixed);
        Prefix.CopyTo(bytes);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    private static byte[] CreatePrefix()
    {
        var prefix = RandomNumberGenerator.GetBytes(10);
        prefix[6] = (byte)((prefix[6] & 0x0F) | 0x40); // version 4
        prefix[8] = (byte)((prefix[8] & 0x3F) | 0x80); // RFC 4122 variant
        return prefix;
    }
}

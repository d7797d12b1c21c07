using Kedge.Server.Observability;

namespace Kedge.Server.Dashboard;

/// <summary>
/// The dashboard's live numbers of one route: a ring of one-second slots, each with a request count, an error count and
/// a latency histogram on the bounds of <c>kedge_request_duration_seconds</c>. Recording is a few
/// <see cref="Interlocked"/> adds on a preallocated array: no lock, no allocation. A slot is reused when its second comes
/// round again; the thread that claims it marks it as being cleared, clears it and then stamps it with the new second, so
/// a reader never counts an old second's cells as new. An add racing with the clear at a second's boundary may still be
/// lost (a dashboard approximation; the Prometheus series stay exact).
/// </summary>
internal sealed class RouteLiveStats
{
    /// <summary>The seconds the dashboard's rates and p99 cover.</summary>
    public const int WindowSeconds = 10;

    // A power of two above the window plus the second being filled, so the slot of a second is a mask away.
    private const int Slots = 16;
    private const int StampCell = 0;

    // The stamp of a slot being cleared for a new second: older than any window, so Read skips it.
    private const long ClaimingStamp = long.MinValue + 1;
    private const int CountCell = 1;
    private const int ErrorCell = 2;
    private const int FirstBucketCell = 3;

    private static readonly double[] Bounds = KedgeMetrics.DurationBuckets;
    private static readonly int Width = FirstBucketCell + Bounds.Length + 1;

    private readonly long[] _cells = new long[Slots * Width];

    /// <summary>Tests only: runs while a slot is being reclaimed for a new second, before its cells are cleared.</summary>
    internal Action? Claiming { get; set; }

    public RouteLiveStats()
    {
        for (var slot = 0; slot < Slots; slot++)
        {
            _cells[slot * Width] = long.MinValue;
        }
    }

    /// <summary>Records one finished request: <paramref name="second"/> is the whole second it ended in (any monotonic clock).</summary>
    public void Record(long second, double seconds, bool error)
    {
        var at = (int)(second & (Slots - 1)) * Width;
        var stamp = Volatile.Read(ref _cells[at]);
        while (stamp != second)
        {
            if (stamp > second)
            {
                return; // finished in a second the ring has already moved past
            }

            // Claim the slot with a stamp no reader counts, clear it, and only then publish the new second: a reader
            // never sees the new second over the old second's cells.
            if (stamp != ClaimingStamp && Interlocked.CompareExchange(ref _cells[at], ClaimingStamp, stamp) == stamp)
            {
                Claiming?.Invoke();
                for (var i = at + 1; i < at + Width; i++)
                {
                    Volatile.Write(ref _cells[i], 0);
                }

                Volatile.Write(ref _cells[at], second);
                break;
            }

            // Another thread is clearing the slot (a few stores) or won the claim: look again.
            Thread.SpinWait(1);
            stamp = Volatile.Read(ref _cells[at]);
        }

        Interlocked.Increment(ref _cells[at + CountCell]);
        if (error)
        {
            Interlocked.Increment(ref _cells[at + ErrorCell]);
        }

        Interlocked.Increment(ref _cells[at + FirstBucketCell + Bucket(seconds)]);
    }

    /// <summary>Requests per second, errors per second and the p99 latency (seconds, null without requests) over the last <see cref="WindowSeconds"/> seconds up to <paramref name="nowSecond"/>.</summary>
    public LiveNumbers Read(long nowSecond)
    {
        long count = 0;
        long errors = 0;
        Span<long> buckets = stackalloc long[Bounds.Length + 1];
        for (var slot = 0; slot < Slots; slot++)
        {
            var at = slot * Width;
            var stamp = Volatile.Read(ref _cells[at]);
            if (stamp <= nowSecond - WindowSeconds || stamp > nowSecond)
            {
                continue;
            }

            count += Volatile.Read(ref _cells[at + CountCell]);
            errors += Volatile.Read(ref _cells[at + ErrorCell]);
            for (var b = 0; b < buckets.Length; b++)
            {
                buckets[b] += Volatile.Read(ref _cells[at + FirstBucketCell + b]);
            }
        }

        return new LiveNumbers((double)count / WindowSeconds, (double)errors / WindowSeconds, count, errors, Quantile(0.99, buckets));
    }

    private static int Bucket(double seconds)
    {
        var bucket = 0;
        while (bucket < Bounds.Length && seconds > Bounds[bucket])
        {
            bucket++;
        }

        return bucket;
    }

    /// <summary>The quantile the way Prometheus' <c>histogram_quantile</c> estimates it: linear within the bucket; the highest finite bound for the last.</summary>
    internal static double? Quantile(double q, ReadOnlySpan<long> buckets)
    {
        long total = 0;
        foreach (var b in buckets)
        {
            total += b;
        }

        if (total == 0)
        {
            return null;
        }

        var rank = q * total;
        long below = 0;
        for (var b = 0; b < buckets.Length; b++)
        {
            if (below + buckets[b] >= rank && buckets[b] > 0)
            {
                if (b == Bounds.Length)
                {
                    return Bounds[^1];
                }

                var lower = b == 0 ? 0 : Bounds[b - 1];
                return lower + ((Bounds[b] - lower) * (rank - below) / buckets[b]);
            }

            below += buckets[b];
        }

        return Bounds[^1];
    }
}

using System.Collections.Concurrent;

namespace Kedge.Client.Failover;

/// <summary>
/// Which kedges are ejected, and until when, shared by every handler and channel of one <see cref="KedgeClient"/>.
/// </summary>
/// <remarks>
/// A failure ejects a kedge for <see cref="BaseEjectionTime"/>, doubling with each failure in a row up to
/// <see cref="MaxEjectionTime"/>. When the time is up the kedge is not trusted blindly: the next call tries it first
/// (the probe) and its outcome either clears the record (traffic is back on the kedge) or ejects it again for twice as
/// long. Failures while a kedge is already ejected (the calls that were in flight on it) do not extend the ejection.
/// Keys are a kedge's authority, or a kedge's authority and a target for "this kedge has no healthy endpoint for this
/// target" (the kedge itself still serves other targets).
/// </remarks>
internal sealed class KedgeEjections
{
    /// <summary>The first ejection of a kedge: 1 second.</summary>
    public static readonly TimeSpan DefaultBaseEjectionTime = TimeSpan.FromSeconds(1);

    /// <summary>The longest ejection: 8 seconds, so a restarted kedge gets traffic back within seconds.</summary>
    public static readonly TimeSpan DefaultMaxEjectionTime = TimeSpan.FromSeconds(8);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _timeProvider;

    public KedgeEjections(TimeProvider timeProvider, TimeSpan? baseEjectionTime = null, TimeSpan? maxEjectionTime = null)
    {
        _timeProvider = timeProvider;
        BaseEjectionTime = baseEjectionTime ?? DefaultBaseEjectionTime;
        MaxEjectionTime = maxEjectionTime ?? DefaultMaxEjectionTime;
        if (BaseEjectionTime <= TimeSpan.Zero || MaxEjectionTime < BaseEjectionTime)
        {
            throw new ArgumentOutOfRangeException(nameof(maxEjectionTime), "The ejection times must be positive, the maximum at least the base.");
        }
    }

    public TimeSpan BaseEjectionTime { get; }

    public TimeSpan MaxEjectionTime { get; }

    /// <summary>Whether <paramref name="key"/> is ejected now (its probe time has not come).</summary>
    public bool IsEjected(string key)
        => !_entries.IsEmpty && _entries.TryGetValue(key, out var entry) && entry.IsEjectedAt(_timeProvider.GetUtcNow());

    /// <summary>When <paramref name="key"/> may be tried again; <see cref="DateTimeOffset.MinValue"/> when it is not ejected.</summary>
    public DateTimeOffset EjectedUntil(string key)
        => !_entries.IsEmpty && _entries.TryGetValue(key, out var entry) ? entry.Until : DateTimeOffset.MinValue;

    /// <summary>Records a failure of <paramref name="key"/>.</summary>
    /// <returns>The ejection time when this failure ejected it; <see langword="null"/> when it was already ejected.</returns>
    public TimeSpan? ReportFailure(string key)
    {
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        lock (entry)
        {
            var now = _timeProvider.GetUtcNow();
            if (entry.IsEjectedAt(now))
            {
                return null;
            }

            // 2^(n-1) × base, capped; the shift is capped too so that many failures cannot overflow.
            var factor = 1L << Math.Min(entry.ConsecutiveFailures, 30);
            var duration = TimeSpan.FromTicks((long)Math.Min((double)BaseEjectionTime.Ticks * factor, MaxEjectionTime.Ticks));
            entry.ConsecutiveFailures++;
            entry.Until = now + duration;
            return duration;
        }
    }

    /// <summary>Records a success of <paramref name="key"/>: it is no longer ejected and its backoff starts over.</summary>
    /// <returns>Whether it had failures on record (it was ejected, or its probe just succeeded).</returns>
    public bool ReportSuccess(string key) => !_entries.IsEmpty && _entries.TryRemove(key, out _);

    /// <summary>
    /// The order to try <paramref name="kedges"/> in: those not ejected in priority order, then the ejected ones, the
    /// one whose ejection ends first first (a call is still tried when every kedge is ejected).
    /// </summary>
    public KedgeEndpoint[] Order(KedgeEndpoint[] kedges, string? target = null)
    {
        if (_entries.IsEmpty)
        {
            return kedges;
        }

        var now = _timeProvider.GetUtcNow();
        var ready = new List<KedgeEndpoint>(kedges.Length);
        List<(KedgeEndpoint Kedge, DateTimeOffset Until)>? ejected = null;
        foreach (var kedge in kedges)
        {
            var until = Max(Until(kedge.Authority), target is null ? DateTimeOffset.MinValue : Until(TargetKey(kedge, target)));
            if (until > now)
            {
                (ejected ??= []).Add((kedge, until));
            }
            else
            {
                ready.Add(kedge);
            }
        }

        if (ejected is null)
        {
            return kedges;
        }

        ready.AddRange(ejected.OrderBy(e => e.Until).ThenBy(e => e.Kedge.Priority).Select(e => e.Kedge));
        return [.. ready];
    }

    /// <summary>The key for "<paramref name="kedge"/> has no healthy endpoint for <paramref name="target"/>".</summary>
    public static string TargetKey(KedgeEndpoint kedge, string target) => kedge.Authority + " " + target;

    private DateTimeOffset Until(string key) => _entries.TryGetValue(key, out var entry) ? entry.Until : DateTimeOffset.MinValue;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private sealed class Entry
    {
        // Ticks rather than a DateTimeOffset: read without the lock, a 16-byte struct could be torn.
        private long _untilUtcTicks;

        public int ConsecutiveFailures { get; set; }

        public DateTimeOffset Until
        {
            get => new(Volatile.Read(ref _untilUtcTicks), TimeSpan.Zero);
            set => Volatile.Write(ref _untilUtcTicks, value.UtcTicks);
        }

        public bool IsEjectedAt(DateTimeOffset now) => Until > now;
    }
}

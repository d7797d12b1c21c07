namespace Kedge.Winch.Internal;

/// <summary>
/// Lets one log line through per interval and counts the ones held back, so that a failure repeated by every
/// connection (a kedge down, a refused certificate) is reported without flooding the log.
/// </summary>
internal sealed class WinchLogThrottle(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private long _nextAllowed = long.MinValue;
    private int _suppressed;

    /// <summary>Whether to log now; when it is, <paramref name="suppressed"/> is how many were held back since the last one.</summary>
    public bool TryEnter(out int suppressed)
    {
        var now = timeProvider.GetTimestamp();
        lock (_gate)
        {
            if (_nextAllowed != long.MinValue && now < _nextAllowed)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _nextAllowed = now + (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}

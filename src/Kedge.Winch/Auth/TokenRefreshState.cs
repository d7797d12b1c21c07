namespace Kedge.Winch.Auth;

/// <summary>
/// When a refreshing token source last got a token and when it last failed (with the error's message, never a token),
/// for winch's dashboard. Written by the source's single flight; read as one immutable snapshot.
/// </summary>
internal sealed class TokenRefreshState
{
    private Snapshot _current = new(null, null, null);

    /// <summary>The last refresh and the last error, as one consistent value.</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>Records how a fetch ended.</summary>
    public void Record(Task<string> fetch, TimeProvider timeProvider)
    {
        if (fetch.IsCompletedSuccessfully)
        {
            Succeeded(timeProvider.GetUtcNow());
        }
        else if (fetch.Exception?.InnerException is { } error)
        {
            Failed(timeProvider.GetUtcNow(), error.Message);
        }
    }

    /// <summary>Records a new token (a refresh, or a completed login).</summary>
    public void Succeeded(DateTimeOffset at) => Update(s => s with { LastRefresh = at });

    /// <summary>Records a failed fetch.</summary>
    public void Failed(DateTimeOffset at, string message) => Update(s => s with { LastError = message, LastErrorAt = at });

    private void Update(Func<Snapshot, Snapshot> change)
    {
        Snapshot seen, next;
        do
        {
            seen = Volatile.Read(ref _current);
            next = change(seen);
        }
        while (!ReferenceEquals(Interlocked.CompareExchange(ref _current, next, seen), seen));
    }

    /// <param name="LastRefresh">When the source last got a new token; null if it has not since winch started.</param>
    /// <param name="LastError">The message of the last failed fetch, or null.</param>
    /// <param name="LastErrorAt">When it failed.</param>
    internal sealed record Snapshot(DateTimeOffset? LastRefresh, string? LastError, DateTimeOffset? LastErrorAt);
}

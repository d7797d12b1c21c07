namespace Kedge.Client.Tokens;

internal sealed class DelegateTokenSource : KedgeTokenSource
{
    private readonly Func<CancellationToken, ValueTask<string>> _getToken;
    private readonly TimeSpan _cacheDuration;
    private readonly TimeProvider _timeProvider;
    private volatile CachedToken? _cached;

    public DelegateTokenSource(string name, Func<CancellationToken, ValueTask<string>> getToken, TimeSpan cacheDuration, TimeProvider timeProvider)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(getToken);
        ArgumentOutOfRangeException.ThrowIfLessThan(cacheDuration, TimeSpan.Zero);
        _getToken = getToken;
        _cacheDuration = cacheDuration;
        _timeProvider = timeProvider;
    }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var cached = _cached;
        if (cached is not null && _timeProvider.GetElapsedTime(cached.FetchedAt) < _cacheDuration)
        {
            return ValueTask.FromResult(cached.Token);
        }

        return FetchAsync(cancellationToken);
    }

    private async ValueTask<string> FetchAsync(CancellationToken cancellationToken)
    {
        var fetchedAt = _timeProvider.GetTimestamp();
        string token;
        try
        {
            token = CheckToken(await _getToken(cancellationToken).ConfigureAwait(false), Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            ReportRefresh(succeeded: false);
            throw;
        }

        ReportRefresh(succeeded: true);
        if (_cacheDuration > TimeSpan.Zero)
        {
            _cached = new CachedToken(token, fetchedAt);
        }

        return token;
    }

    private sealed record CachedToken(string Token, long FetchedAt);
}

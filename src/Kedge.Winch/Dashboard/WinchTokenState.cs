namespace Kedge.Winch.Dashboard;

/// <summary>What the dashboard shows of one auth source's token (never the token).</summary>
/// <param name="State"><c>valid</c>, <c>expiring</c> (within <see cref="WinchDashboard.ExpiringWithin"/>), <c>expired</c>, <c>absent</c> or <c>error</c>.</param>
/// <param name="Expiry">The token's expiry, when it carries one.</param>
/// <param name="LastRefresh">When the source last got a new token since winch started.</param>
/// <param name="LastError">The last fetch error's message.</param>
/// <param name="LastErrorAt">When that fetch failed.</param>
internal sealed record WinchTokenState(string State, DateTimeOffset? Expiry, DateTimeOffset? LastRefresh, string? LastError, DateTimeOffset? LastErrorAt);

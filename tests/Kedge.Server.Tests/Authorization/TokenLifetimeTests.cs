using Kedge.Server.Authorization;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Server.Tests.Authorization;

public class TokenLifetimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(Now);

    [Fact]
    public void CheckLifetime_WithinSkewOfExpiry_Accepted()
    {
        Assert.True(KedgeAuthentication.CheckLifetime(null, Now.UtcDateTime.AddSeconds(-29), Skew, _time));
        Assert.True(KedgeAuthentication.CheckLifetime(Now.UtcDateTime.AddSeconds(29), Now.UtcDateTime.AddMinutes(5), Skew, _time));
    }

    [Fact]
    public void CheckLifetime_PastSkew_ExpiredOrNotYetValid()
    {
        Assert.Throws<SecurityTokenExpiredException>(() => KedgeAuthentication.CheckLifetime(null, Now.UtcDateTime.AddSeconds(-31), Skew, _time));
        Assert.Throws<SecurityTokenNotYetValidException>(() => KedgeAuthentication.CheckLifetime(Now.UtcDateTime.AddSeconds(31), Now.UtcDateTime.AddMinutes(5), Skew, _time));
    }

    [Fact]
    public void CheckLifetime_ClockMoves_FollowsTimeProvider()
    {
        var expires = Now.UtcDateTime.AddMinutes(1);
        Assert.True(KedgeAuthentication.CheckLifetime(null, expires, Skew, _time));

        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Throws<SecurityTokenExpiredException>(() => KedgeAuthentication.CheckLifetime(null, expires, Skew, _time));
    }

    [Fact]
    public void CheckLifetime_NoExpiry_Refused()
    {
        Assert.Throws<SecurityTokenNoExpirationException>(() => KedgeAuthentication.CheckLifetime(null, null, Skew, _time));
    }
}

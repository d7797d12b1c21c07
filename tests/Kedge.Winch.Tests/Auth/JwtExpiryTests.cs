using System.Buffers.Text;
using System.Text;
using Kedge.Winch.Auth;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Winch.Tests.Auth;

public sealed class JwtExpiryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);

    private static string Part(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Jwt(string payload) => Part("""{"alg":"RS256","typ":"JWT","kid":"k"}""") + "." + Part(payload) + ".c2lnbmF0dXJl";

    [Fact]
    public void Read_NumericExp_ReturnsIt()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795003200), JwtExpiry.Read(Jwt("""{"sub":"alice","exp":1795003200,"aud":["a","b"]}""")));
    }

    [Fact]
    public void Read_UnsignedTokenWithExp_ReturnsIt()
    {
        // winch never verifies: an issuer's own token with any alg (or none) is only read to know when to refresh.
        var token = Part("""{"alg":"none"}""") + "." + Part("""{"exp":1795003200}""") + ".";

        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795003200), JwtExpiry.Read(token));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("opaque-access-token")]
    [InlineData("two.parts")]
    [InlineData("a.b.c.d.e")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.!!!not-base64!!!.c2ln")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln")]
    public void Read_NotAJwt_Null(string? token)
    {
        Assert.Null(JwtExpiry.Read(token));
    }

    [Theory]
    [InlineData("""{"sub":"alice"}""")]
    [InlineData("""{"exp":"soon"}""")]
    [InlineData("""{"exp":null}""")]
    public void Read_NoNumericExp_Null(string payload)
    {
        Assert.Null(JwtExpiry.Read(Jwt(payload)));
    }

    [Fact]
    public void IsFresh_ExpiryBeyondSkew_TrueWithinSkewFalse()
    {
        var clock = new FakeTimeProvider(Now);

        Assert.True(JwtExpiry.IsFresh(Jwt($$"""{"exp":{{Now.AddMinutes(1).ToUnixTimeSeconds()}}}"""), clock));
        Assert.False(JwtExpiry.IsFresh(Jwt($$"""{"exp":{{Now.AddSeconds(5).ToUnixTimeSeconds()}}}"""), clock));
        Assert.False(JwtExpiry.IsFresh(Jwt($$"""{"exp":{{Now.AddHours(-1).ToUnixTimeSeconds()}}}"""), clock));
        Assert.False(JwtExpiry.IsFresh("opaque", clock));
    }
}

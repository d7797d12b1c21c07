using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Web;
using Kedge.Testing;
using Kedge.Winch.Auth;
using Kedge.Winch.Configuration;
using Kedge.Winch.Tests.Infrastructure;

namespace Kedge.Winch.Tests.Auth;

public sealed class OidcTokenSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestLogSink _logs = new();
    private readonly TimerRecordingClock _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _issuerClient = WinchAuthContext.CreateIssuerClient();

    public void Dispose()
    {
        _issuerClient.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    private OidcTokenSource Build(TestIssuer issuer, string name = "corp", string callbackPath = "", IReadOnlyList<string>? scopes = null)
    {
        var context = new WinchAuthContext(_clock, _issuerClient, _logs.CreateLogger("test"), TimeSpan.FromSeconds(20));
        var config = new AuthSourceConfig
        {
            Path = "p",
            Name = name,
            Kind = AuthSourceKind.Oidc,
            Provider = issuer.Url.ToString(),
            ClientId = issuer.ClientId,
            Secret = issuer.ClientSecret,
            Scopes = scopes ?? [],
            FilePath = _dir.Combine("cache"),
            LoginCallbackPath = callbackPath,
        };
        var errors = new List<string>();
        var source = new AuthSourceFactory(new Dictionary<string, AuthSourceConfig> { [name] = config }, context).Get(name, errors);
        Assert.Empty(errors);
        return (OidcTokenSource)source!;
    }

    [Fact]
    public async Task BeginLogin_AuthorizationUrl_CodeFlowWithPkceS256AndFreshState()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var source = Build(issuer, callbackPath: "/login/callback", scopes: ["email", "openid"]);

        var first = HttpUtility.ParseQueryString((await source.BeginLoginAsync(CancellationToken.None)).Query);
        var second = HttpUtility.ParseQueryString((await source.BeginLoginAsync(CancellationToken.None)).Query);

        Assert.Equal("code", first["response_type"]);
        Assert.Equal(issuer.ClientId, first["client_id"]);
        Assert.Equal("http://127.0.0.1:8070/login/callback", first["redirect_uri"]);
        Assert.Equal("openid email", first["scope"]);
        Assert.Equal("S256", first["code_challenge_method"]);
        Assert.Equal(43, first["code_challenge"]!.Length); // base64url of a SHA-256
        Assert.True(first["state"]!.Length >= 22, "state carries at least 128 random bits");
        Assert.NotEqual(first["state"], second["state"]);
        Assert.NotEqual(first["code_challenge"], second["code_challenge"]);
        Assert.Null(first["client_secret"]);
    }

    [Fact]
    public async Task CompleteLogin_CodeFromIssuer_VerifierMatchesChallengeAndStateUsableOnce()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var source = Build(issuer, callbackPath: "/login/callback");
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        using var approved = await browser.GetAsync(await source.BeginLoginAsync(CancellationToken.None));
        var callback = HttpUtility.ParseQueryString(approved.Headers.Location!.Query);

        await source.CompleteLoginAsync(callback["code"]!, callback["state"]!, CancellationToken.None);
        var replay = await Assert.ThrowsAsync<InvalidOperationException>(() => source.CompleteLoginAsync(callback["code"]!, callback["state"]!, CancellationToken.None));

        var verifier = issuer.LastTokenForm["code_verifier"];
        Assert.InRange(verifier.Length, 43, 128); // RFC 7636 §4.1
        Assert.Matches("^[A-Za-z0-9._~-]+$", verifier);
        Assert.Equal(issuer.LastAuthorizeQuery["code_challenge"], Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        Assert.Equal("authorization_code", issuer.LastTokenForm["grant_type"]);
        Assert.Equal("http://127.0.0.1:8070/login/callback", issuer.LastTokenForm["redirect_uri"]);
        Assert.Equal("id-1", TestIssuer.SubjectOf(await source.GetTokenAsync()));
        Assert.StartsWith("this login for auth source 'corp' is unknown", replay.Message, StringComparison.Ordinal);
        Assert.Equal(1, issuer.TokensIssued);
    }

    [Fact]
    public async Task GetToken_RefreshTokenRevoked_ErrorNamesIssuerAndLoginUrl()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var source = Build(issuer, callbackPath: "/login/callback");
        using var browser = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        using var approved = await browser.GetAsync(await source.BeginLoginAsync(CancellationToken.None));
        var callback = HttpUtility.ParseQueryString(approved.Headers.Location!.Query);
        await source.CompleteLoginAsync(callback["code"]!, callback["state"]!, CancellationToken.None);
        issuer.RefreshToken = "revoked-at-the-issuer";
        source.ClearToken();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"the issuer {issuer.Url} refused to refresh the ID token: 400 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("refresh token revoked", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("; log in again at http://127.0.0.1:8070/winch/login/corp", error.Message, StringComparison.Ordinal);
        Assert.Equal("refresh_token", issuer.LastTokenForm["grant_type"]);
        Assert.Equal(issuer.ClientSecret, issuer.LastTokenForm["client_secret"]);
    }

    [Fact]
    public async Task DeviceLogin_SlowDown_PollsFiveSecondsSlowerUntilApproved()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.OffersDeviceLogin = true;
        issuer.DeviceApproved = true;
        issuer.DevicePollAnswers.Enqueue("slow_down");
        issuer.DevicePollAnswers.Enqueue("authorization_pending");
        var source = Build(issuer, "headless");

        await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());
        var waits = new List<TimeSpan>();
        for (var poll = 1; poll <= 3; poll++)
        {
            var wait = await _clock.NextTimerAsync();
            waits.Add(wait);
            _clock.Advance(wait);
        }

        var token = await source.DeviceLogin!.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10)], waits);
        Assert.Equal(3, issuer.DevicePolls);
        Assert.Equal("urn:ietf:params:oauth:grant-type:device_code", issuer.LastTokenForm["grant_type"]);
        Assert.Equal("device-code-1", issuer.LastTokenForm["device_code"]);
        Assert.Equal("id-1", TestIssuer.SubjectOf(token));
        Assert.Same(token, await source.GetTokenAsync());
    }

    [Fact]
    public async Task DeviceLogin_ExpiredTokenAtIssuer_FailsAndNextRequestStartsAnother()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.OffersDeviceLogin = true;
        issuer.DevicePollAnswers.Enqueue("expired_token");
        var source = Build(issuer, "headless");

        await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());
        _clock.Advance(await _clock.NextTimerAsync());
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => source.DeviceLogin!.WaitAsync(TimeSpan.FromSeconds(10)));
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.Equal($"the device login for auth source 'headless' failed at the issuer {issuer.Url}: expired_token", failed.Message);
        Assert.StartsWith("auth source 'headless' is not logged in: open ", again.Message, StringComparison.Ordinal);
        Assert.Equal(2, issuer.DeviceLoginsStarted);
    }

    [Fact]
    public async Task DeviceLogin_PastExpiresIn_StopsPollingWithoutAskingIssuer()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.OffersDeviceLogin = true;
        var source = Build(issuer, "headless");

        await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());
        await _clock.NextTimerAsync();
        _clock.Advance(TimeSpan.FromSeconds(601));
        var expired = await Assert.ThrowsAsync<InvalidOperationException>(() => source.DeviceLogin!.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal("the device login for auth source 'headless' expired; the next request starts a new one", expired.Message);
        Assert.Equal(0, issuer.DevicePolls);
    }

    [Fact]
    public async Task DeviceLogin_IssuerRefusesToStart_ErrorNamesIssuerAndStatus()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.OffersDeviceLogin = true;
        var context = new WinchAuthContext(_clock, _issuerClient, _logs.CreateLogger("test"), TimeSpan.FromSeconds(20));
        var provider = new OidcProviderClient(issuer.Url, "not-" + issuer.ClientId, string.Empty, [], _issuerClient);
        var source = new OidcTokenSource("headless", provider, _dir.Combine("cache"), string.Empty, context);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"the issuer {issuer.Url} refused to start a device login: 400 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid_request", error.Message, StringComparison.Ordinal);
    }
}

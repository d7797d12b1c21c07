using System.Net;
using System.Net.Sockets;
using Kedge.Testing;
using Kedge.Winch.Auth;
using Kedge.Winch.Configuration;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Winch.Tests.Auth;

/// <summary>The issuer calls every OIDC source makes (discovery, refresh), seen through the kubeconfig oidc auth-provider.</summary>
public sealed class KubeOidcTokenSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestLogSink _logs = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _issuerClient = WinchAuthContext.CreateIssuerClient();

    public void Dispose()
    {
        _issuerClient.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    /// <summary>A kube source whose id-token has expired, so the first request refreshes at <paramref name="issuerUrl"/>.</summary>
    private Client.Tokens.KedgeTokenSource Build(string issuerUrl, string idToken = "expired.not-a.jwt", string clientId = "winch-test", string secret = "issuer-secret")
    {
        var path = _dir.Combine("kubeconfig");
        File.WriteAllText(path, $"apiVersion: v1\nkind: Config\nusers:\n- name: oidc-user\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        idp-issuer-url: {issuerUrl}\n        client-id: {clientId}\n        client-secret: {secret}\n        id-token: {idToken}\n        refresh-token: refresh-1\n");
        var config = new AuthSourceConfig { Path = "auth_sources[0]", Name = "k", Kind = AuthSourceKind.Kube, FilePath = path, User = "oidc-user" };
        var context = new WinchAuthContext(_clock, _issuerClient, _logs.CreateLogger("test"), TimeSpan.FromSeconds(20));
        var errors = new List<string>();
        var source = new AuthSourceFactory(new Dictionary<string, AuthSourceConfig> { ["k"] = config }, context).Get("k", errors);
        Assert.Empty(errors);
        return source!;
    }

    [Fact]
    public async Task GetToken_DiscoveryNotFound_ErrorNamesIssuerUrlAndFixThenRetried()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.DiscoveryStatus = 404;
        var source = Build(issuer.Url.ToString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());
        issuer.DiscoveryStatus = null;
        var token = await source.GetTokenAsync();

        Assert.Equal($"the issuer {issuer.Url} answered 404 for {issuer.Url}.well-known/openid-configuration; check the provider URL", error.Message);
        Assert.Equal("id-1", TestIssuer.SubjectOf(token));
    }

    [Fact]
    public async Task GetToken_DiscoveryNotJson_ErrorNamesIssuerAndUrl()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.DiscoveryStatus = 200;
        var source = Build(issuer.Url.ToString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.Equal($"the issuer {issuer.Url} served something that is not JSON at {issuer.Url}.well-known/openid-configuration", error.Message);
    }

    [Fact]
    public async Task GetToken_DiscoveryNamesAnotherIssuer_RefusedBeforeSendingRefreshToken()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.DiscoveryIssuer = "https://login.other.example.com";
        var source = Build(issuer.Url.ToString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.Equal(
            $"the issuer {issuer.Url} serves a discovery document at {issuer.Url}.well-known/openid-configuration that winch refuses: Issuer name does not match authority: https://login.other.example.com; check the provider URL",
            error.Message);
        Assert.Empty(issuer.LastTokenForm);
    }

    [Fact]
    public async Task GetToken_TokenEndpointPlainHttpOffLoopback_RefusedBeforeSendingRefreshToken()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.DiscoveryTokenEndpoint = "http://login.example.com/token";
        var source = Build(issuer.Url.ToString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.EndsWith("that winch refuses: Endpoint does not use HTTPS: http://login.example.com/token; check the provider URL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_IssuerNotListening_ErrorNamesIssuer()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var source = Build($"http://127.0.0.1:{port}/");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"could not reach the issuer http://127.0.0.1:{port}/ to read its discovery document: ", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task GetToken_IssuerCertificateNotTrusted_Refused()
    {
        using var ca = TestCertificateAuthority.Create();
        await using var issuer = await TestOidcIssuer.StartAsync(ca);
        var source = Build(issuer.Issuer);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"could not reach the issuer {issuer.Issuer}/ to read its discovery document: The SSL connection could not be established", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_TokenEndpointRedirects_NotFollowed()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.RedirectTokenRequests = true;
        var source = Build(issuer.Url.ToString());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source.GetTokenAsync().AsTask());

        Assert.StartsWith($"the issuer {issuer.Url} refused to refresh the ID token: 307", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, issuer.RedirectedTokenRequests);
    }

    [Fact]
    public async Task GetToken_ManyCallersWhileExpired_OneRefresh()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var source = Build(issuer.Url.ToString());

        var tokens = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(() => source.GetTokenAsync().AsTask())));

        Assert.Equal(1, issuer.TokensIssued);
        Assert.All(tokens, t => Assert.Same(tokens[0], t));
        Assert.Equal("refresh_token", issuer.LastTokenForm["grant_type"]);
        Assert.Equal("refresh-1", issuer.LastTokenForm["refresh_token"]);
        Assert.Equal("winch-test", issuer.LastTokenForm["client_id"]);
    }
}

using System.Globalization;
using Kedge.Testing;
using Kedge.Winch.Auth;
using Kedge.Winch.Configuration;
using Kedge.Winch.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kedge.Winch.Tests.Auth;

public sealed class AuthSourceFactoryTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestLogSink _logs = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = WinchAuthContext.CreateIssuerClient();

    public void Dispose()
    {
        _http.Dispose();
        _logs.Dispose();
        _dir.Dispose();
    }

    private WinchAuthContext Context() => new(_clock, _http, _logs.CreateLogger("test"), TimeSpan.FromSeconds(20));

    private (Client.Tokens.KedgeTokenSource? Source, List<string> Errors) Build(AuthSourceConfig config)
    {
        var factory = new AuthSourceFactory(new Dictionary<string, AuthSourceConfig> { [config.Name] = config }, Context());
        var errors = new List<string>();
        return (factory.Get(config.Name, errors), errors);
    }

    private static AuthSourceConfig Kube(string path, string user) => new() { Path = "auth_sources[0]", Name = "k", Kind = AuthSourceKind.Kube, FilePath = path, User = user };

    private string WriteKubeconfig(string users)
    {
        var path = _dir.Combine("kubeconfig");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://prod.example.com\ncurrent-context: prod\nusers:\n" + users);
        return path;
    }

    [Fact]
    public async Task Get_TokenAndDummySources_GiveTheirValues()
    {
        var (token, _) = Build(new AuthSourceConfig { Path = "p", Name = "t", Kind = AuthSourceKind.Token, Value = "abc" });
        var (dummy, _) = Build(new AuthSourceConfig { Path = "p", Name = "d", Kind = AuthSourceKind.Dummy, Value = "dummy-value" });
        var (empty, _) = Build(new AuthSourceConfig { Path = "p", Name = "e", Kind = AuthSourceKind.Dummy });

        Assert.Equal("abc", await token!.GetTokenAsync());
        Assert.Equal("dummy-value", await dummy!.GetTokenAsync());
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => empty!.GetTokenAsync().AsTask());
        Assert.Equal("Error dummy auth source. No TokenValue specified", error.Message);
    }

    [Fact]
    public void Get_ServiceAccountOidcKeyFileMissing_GoMessage()
    {
        var file = _dir.Combine("absent.json");

        var (source, errors) = Build(new AuthSourceConfig { Path = "auth_sources[3]", Name = "gsa", Kind = AuthSourceKind.ServiceAccountOidc, ClientId = "aud", ServiceAccountJsonPath = file });

        Assert.Null(source);
        Assert.StartsWith($"auth config: $.auth_sources[3] (\"gsa\"): failed to open google SA JSON file from {file}", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_ServiceAccountOidc_SignedAssertionExchangedCachedAndRenewed()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        using var key = System.Security.Cryptography.RSA.Create(2048);
        issuer.ServiceAccountKey = key;
        var file = _dir.Combine("sa.json");
        await File.WriteAllTextAsync(file, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["type"] = "service_account",
            ["client_email"] = "winch@project.iam.example.com",
            ["private_key_id"] = "key-1",
            ["private_key"] = key.ExportPkcs8PrivateKeyPem(),
            ["token_uri"] = issuer.Url + "token",
        }));
        var (source, errors) = Build(new AuthSourceConfig { Path = "p", Name = "gsa", Kind = AuthSourceKind.ServiceAccountOidc, ClientId = "kedge-audience", ServiceAccountJsonPath = file });
        Assert.Empty(errors);

        var first = await source!.GetTokenAsync();
        var cached = await source.GetTokenAsync();
        _clock.Advance(TimeSpan.FromHours(2));
        var renewed = await source.GetTokenAsync();

        Assert.Equal("id-1", TestIssuer.SubjectOf(first));
        Assert.Same(first, cached);
        Assert.Equal("id-2", TestIssuer.SubjectOf(renewed));
        Assert.Equal("kedge-audience", issuer.LastTargetAudience);
    }

    [Fact]
    public async Task Get_KubeStaticToken_ReturnsIt()
    {
        var path = WriteKubeconfig("- name: dev\n  user:\n    token: kube-static-token\n");

        var (source, errors) = Build(Kube(path, "dev"));

        Assert.Empty(errors);
        Assert.Equal("kube-static-token", await source!.GetTokenAsync());
    }

    [Fact]
    public void Get_KubeMissingUser_GoMessageWithKnownUsers()
    {
        var path = WriteKubeconfig("- name: dev\n  user:\n    token: x\n");

        var (_, errors) = Build(Kube(path, "prod"));

        Assert.Equal($"auth config: $.auth_sources[0] (\"k\"): Failed to find user prod inside k8s config AuthInfo from file {path}; it has users dev", Assert.Single(errors));
    }

    [Fact]
    public void Get_KubeGcpProviderAndClientCertUser_ClearErrors()
    {
        var path = WriteKubeconfig("- name: gcp\n  user:\n    auth-provider:\n      name: gcp\n- name: cert\n  user:\n    client-certificate-data: AAAA\n");

        var (_, gcp) = Build(Kube(path, "gcp"));
        var (_, cert) = Build(Kube(path, "cert"));

        Assert.Contains("Not supported k8s Auth provider gcp", Assert.Single(gcp), StringComparison.Ordinal);
        Assert.Contains("has no token, tokenFile, oidc auth-provider or exec plugin", Assert.Single(cert), StringComparison.Ordinal);
    }

    [Fact]
    public void Get_KubeconfigMissing_ErrorNamesFile()
    {
        var (_, errors) = Build(Kube(_dir.Combine("absent"), "dev"));

        Assert.StartsWith($"auth config: $.auth_sources[0] (\"k\"): cannot read the kubeconfig {_dir.Combine("absent")}", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_KubeOidcFreshIdToken_ReusedWithoutAskingIssuer()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var idToken = issuer.CreateIdToken("cached");
        var path = WriteKubeconfig(OidcUser(issuer, idToken, "refresh-1"));
        var (source, _) = Build(Kube(path, "oidc-user"));

        Assert.Equal(idToken, await source!.GetTokenAsync());
        Assert.Equal(0, issuer.TokensIssued);
    }

    [Fact]
    public async Task GetToken_KubeOidcExpiredIdToken_RefreshedAndWrittenBack()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var path = WriteKubeconfig(OidcUser(issuer, issuer.CreateIdToken("old", TimeSpan.FromMinutes(5)), "refresh-1"));
        var (source, _) = Build(Kube(path, "oidc-user"));
        _clock.Advance(TimeSpan.FromMinutes(10));

        var token = await source!.GetTokenAsync();
        var again = await source.GetTokenAsync();

        Assert.Equal("id-1", TestIssuer.SubjectOf(token));
        Assert.Same(token, again);
        Assert.Equal(1, issuer.TokensIssued);
        var written = await File.ReadAllTextAsync(path);
        Assert.Contains(token, written, StringComparison.Ordinal);
        Assert.Contains("refresh-2", written, StringComparison.Ordinal);
        Assert.Contains("server: https://prod.example.com", written, StringComparison.Ordinal);
        Assert.Single(_logs.WithEventName("TokenRefreshed"));
    }

    [Fact]
    public async Task GetToken_KubeOidcRefreshRefused_ErrorNamesIssuer()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var path = WriteKubeconfig(OidcUser(issuer, issuer.CreateIdToken("old", TimeSpan.FromMinutes(5)), "revoked"));
        var (source, _) = Build(Kube(path, "oidc-user"));
        _clock.Advance(TimeSpan.FromMinutes(10));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source!.GetTokenAsync().AsTask());

        Assert.StartsWith($"the issuer {issuer.Url} refused to refresh the ID token: 400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_KubeExecPlugin_RunOnceUntilExpiryWithExecInfo()
    {
        var runs = _dir.Combine("runs.txt");
        var info = _dir.Combine("info.json");
        var script = WritePlugin($$$"""
            #!/bin/sh
            echo run >> '{{{runs}}}'
            printf '%s' "$KUBERNETES_EXEC_INFO" > '{{{info}}}'
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-%s","expirationTimestamp":"%s"}}' "$TOKEN_SUFFIX" "$EXPIRY"
            """);
        var expiry = _clock.GetUtcNow().AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var path = WriteKubeconfig($"- name: exec-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {script}\n      env:\n      - name: TOKEN_SUFFIX\n        value: abc\n      - name: EXPIRY\n        value: \"{expiry}\"\n");
        var (source, errors) = Build(Kube(path, "exec-user"));
        Assert.Empty(errors);

        var first = await source!.GetTokenAsync();
        var second = await source.GetTokenAsync();
        _clock.Advance(TimeSpan.FromMinutes(61));
        var third = await source.GetTokenAsync();

        Assert.Equal("exec-abc", first);
        Assert.Equal("exec-abc", second);
        Assert.Equal("exec-abc", third);
        Assert.Equal(2, File.ReadAllLines(runs).Length);
        Assert.Contains("\"kind\":\"ExecCredential\"", await File.ReadAllTextAsync(info), StringComparison.Ordinal);
        Assert.Contains("\"interactive\":false", await File.ReadAllTextAsync(info), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_KubeExecPluginFails_ErrorWithExitCodeAndStderr()
    {
        var script = WritePlugin("#!/bin/sh\necho 'please run: corp-login' >&2\nexit 3\n");
        var path = WriteKubeconfig($"- name: exec-user\n  user:\n    exec:\n      command: {script}\n");
        var (source, _) = Build(Kube(path, "exec-user"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source!.GetTokenAsync().AsTask());

        Assert.Equal($"the exec plugin {script} of user exec-user exited with code 3: please run: corp-login", error.Message);
    }

    [Fact]
    public async Task GetToken_OidcWithoutCacheOrCallback_TellsHowToLogIn()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        var (source, _) = Build(new AuthSourceConfig
        {
            Path = "p",
            Name = "corp",
            Kind = AuthSourceKind.Oidc,
            Provider = issuer.Url.ToString(),
            ClientId = issuer.ClientId,
            Secret = issuer.ClientSecret,
            FilePath = _dir.Combine("cache"),
        });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => source!.GetTokenAsync().AsTask());

        Assert.Contains("has no valid token cached", error.Message, StringComparison.Ordinal);
        Assert.Contains("set oidc.login_callback_path", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetToken_OidcDeviceLogin_PromptsThenPollsUntilApproved()
    {
        await using var issuer = await TestIssuer.StartAsync(_clock);
        issuer.OffersDeviceLogin = true;
        var (source, _) = Build(new AuthSourceConfig
        {
            Path = "p",
            Name = "headless",
            Kind = AuthSourceKind.Oidc,
            Provider = issuer.Url.ToString(),
            ClientId = issuer.ClientId,
            Secret = issuer.ClientSecret,
            FilePath = _dir.Combine("cache"),
        });
        var oidc = (OidcTokenSource)source!;

        var first = await Assert.ThrowsAsync<InvalidOperationException>(() => oidc.GetTokenAsync().AsTask());
        var second = await Assert.ThrowsAsync<InvalidOperationException>(() => oidc.GetTokenAsync().AsTask());
        issuer.DeviceApproved = true;
        _clock.Advance(TimeSpan.FromSeconds(5));
        var loggedIn = await oidc.DeviceLogin!.WaitAsync(TimeSpan.FromSeconds(30));
        var token = await oidc.GetTokenAsync();

        Assert.Equal($"auth source 'headless' is not logged in: open {issuer.Url}activate and enter the code WDJB-MJHT within 10 minutes, then retry", first.Message);
        Assert.Equal(first.Message, second.Message);
        Assert.Equal(1, issuer.DeviceLoginsStarted);
        Assert.Equal("id-1", TestIssuer.SubjectOf(token));
        Assert.Same(loggedIn, token);
        Assert.Single(Directory.GetFiles(_dir.Combine("cache")));
    }

    private static string OidcUser(TestIssuer issuer, string idToken, string refreshToken) =>
        $"- name: oidc-user\n  user:\n    auth-provider:\n      name: oidc\n      config:\n        idp-issuer-url: {issuer.Url}\n        client-id: {issuer.ClientId}\n        client-secret: {issuer.ClientSecret}\n        id-token: {idToken}\n        refresh-token: {refreshToken}\n";

    private string WritePlugin(string content)
    {
        var path = _dir.Combine("plugin-" + Guid.NewGuid().ToString("N")[..8] + ".sh");
        File.WriteAllText(path, content.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }
}

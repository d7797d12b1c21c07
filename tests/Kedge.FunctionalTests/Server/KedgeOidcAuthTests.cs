using System.Net;
using System.Net.Http.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Server.Configuration;
using Kedge.Testing;
using Kedge.Testing.Greeter;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.FunctionalTests.Server;

/// <summary>OIDC ID tokens in Proxy-Authorization, per-route permission and certificate rules, over real mTLS.</summary>
public sealed class KedgeOidcAuthTests : IAsyncLifetime
{
    private const string Audience = "kedge-client";
    private readonly TestLogSink _logs = new();
    private readonly TempDirectory _dir = new();
    private TestCertificateAuthority _issuerCa = null!;
    private TestOidcIssuer _issuer = null!;
    private LoopbackServer _backend = null!;
    private LoopbackServer _grpcBackend = null!;
    private KedgeServerFixture _kedge = null!;

    public async Task InitializeAsync()
    {
        _issuerCa = TestCertificateAuthority.Create("Issuer CA");
        _issuer = await TestOidcIssuer.StartAsync(_issuerCa);
        _backend = await LoopbackServer.StartAsync(new LoopbackServerOptions(), _logs);
        _grpcBackend = await LoopbackServer.StartAsync(new LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http2 }, _logs);
        var routing = new KedgeServerOptions
        {
            HttpRoutes =
            [
                new() { Backend = "orders", Host = "orders.shop.svc.cluster-b.kedge" },
                new() { Backend = "orders", Host = "admin.shop.svc.cluster-b.kedge", Authorization = new() { Permissions = ["admin"] } },
                new() { Backend = "orders", Host = "payments.shop.svc.cluster-b.kedge", Authorization = new() { ClientCertificate = new() { Uris = ["spiffe://cluster-a/ns/payments/*"] } } },
                new() { Backend = "orders", Host = "both.shop.svc.cluster-b.kedge", Authorization = new() { Permissions = ["admin"], ClientCertificate = new() { SubjectCommonNames = ["payments-*"] } } },
            ],
            GrpcRoutes =
            [
                new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter", Metadata = new(StringComparer.OrdinalIgnoreCase) { ["x-route"] = "admin" }, Authorization = new() { Permissions = ["admin"] } },
                new() { Backend = "greeter", ServiceName = "kedge.testing.Greeter" },
            ],
            HttpBackends = [new() { Name = "orders", Static = new() { Addresses = [$"127.0.0.1:{_backend.Port}"] } }],
            GrpcBackends = [new() { Name = "greeter", Static = new() { Addresses = [$"127.0.0.1:{_grpcBackend.Port}"] } }],
        };
        var issuerCaFile = _issuerCa.WriteCaPem(_dir.Path, "issuer-ca.crt");
        _kedge = await KedgeServerFixture.StartAsync(_logs, routing, settings =>
        {
            settings.TlsClientCertRequired = false;
            settings.Auth = new KedgeAuthSettings
            {
                OidcProviderUrl = _issuer.Issuer,
                OidcClientId = Audience,
                OidcPermsClaim = "perms",
                OidcWhitelistPerms = ["proxy", "ops"],
                OidcCaFile = issuerCaFile,
                OidcJwksRefreshRateLimit = TimeSpan.FromSeconds(1),
                ProtectDebugEndpoints = true,
            };
        });
    }

    public async Task DisposeAsync()
    {
        await _kedge.DisposeAsync();
        await _backend.DisposeAsync();
        await _grpcBackend.DisposeAsync();
        await _issuer.DisposeAsync();
        _issuerCa.Dispose();
        _dir.Dispose();
        _logs.Dispose();
    }

    private string Token(params string[] perms) => _issuer.CreateToken(Audience, new Dictionary<string, object> { ["perms"] = perms });

    private async Task<HttpResponseMessage> SendAsync(string host, string? proxyAuthorization, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null, string path = "/")
    {
        using var http = KedgeTestHttp.Create(_kedge, certificate ?? _kedge.ClientCertificate);
        using var request = KedgeTestHttp.Request(host, path, proxyAuthorization);
        request.Headers.Authorization = new("Bearer", "for-the-backend");
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    [Fact]
    public async Task Http_ValidTokenThroughKedgeClient_ReachesBackendWithoutProxyCredentials()
    {
        var token = Token("proxy");
        using var client = _kedge.CreateClient(_logs, o => o.Mapper = KedgeMapper.Single(_kedge.KedgeUrl, KedgeTokenSource.FromValue("oidc", token)));
        using var http = new HttpClient(client.CreateHandler());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://orders.shop.svc.cluster-b.kedge/v1");
        request.Headers.Authorization = new("Bearer", "for-the-backend");

        using var response = await http.SendAsync(request);
        var echo = await response.Content.ReadFromJsonAsync<EchoReport>(LoopbackServer.JsonOptions);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(echo!.Headers.ContainsKey("Proxy-Authorization"));
        Assert.Equal("Bearer for-the-backend", echo.Headers["Authorization"]);
    }

    [Fact]
    public async Task Http_PermissionsAsSpaceSeparatedStringAndEcKey_Accepted()
    {
        var token = _issuer.CreateToken(Audience, new Dictionary<string, object> { ["perms"] = "read ops" }, _issuer.EcKey);

        using var response = await SendAsync("orders.shop.svc.cluster-b.kedge", "Bearer " + token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public static TheoryData<string, string> RejectedCredentials => new()
    {
        { "none", "no Proxy-Authorization header" },
        { "basic", "not in the form 'Bearer <token>'" },
        { "double-space", "not in the form 'Bearer <token>'" },
        { "garbage", "not a well-formed JWT" },
        { "expired", "has expired" },
        { "not-yet-valid", "not valid yet" },
        { "wrong-audience", "another audience" },
        { "wrong-issuer", "another issuer" },
        { "bad-signature", "signature is invalid" },
        { "alg-none", "signature is invalid" },
        // HS256 keyed with the RSA public key: no published key can check it, and HMAC is not an allowed algorithm.
        { "hmac-confusion", "signature is invalid" },
    };

    [Theory]
    [MemberData(nameof(RejectedCredentials))]
    public async Task Http_BadCredentials_401UnauthorizedNamingTheProblemNeverTheToken(string kind, string expected)
    {
        var valid = new Dictionary<string, object> { ["perms"] = new[] { "proxy" } };
        var token = kind switch
        {
            "expired" => _issuer.CreateToken(Audience, valid, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20)),
            "not-yet-valid" => _issuer.CreateToken(Audience, valid, notBefore: DateTime.UtcNow.AddMinutes(10), expires: DateTime.UtcNow.AddMinutes(20)),
            "wrong-audience" => _issuer.CreateToken("someone-else", valid),
            "wrong-issuer" => _issuer.CreateToken(Audience, valid, issuer: "https://evil.example"),
            "bad-signature" => _issuer.CreateToken(Audience, valid, key: WithKeyId(TestOidcIssuer.NewRsaKey("x"), _issuer.RsaKey.KeyId!)),
            "alg-none" => _issuer.CreateUnsignedToken(Audience, valid),
            "hmac-confusion" => _issuer.CreateHmacConfusionToken(Audience, valid),
            "garbage" => "not.a.jwt",
            _ => "unused",
        };
        var header = kind switch
        {
            "none" => null,
            "basic" => "Basic dXNlcjpwYXNz",
            "double-space" => "Bearer  " + Token("proxy"),
            _ => "Bearer " + token,
        };

        using var response = await SendAsync("orders.shop.svc.cluster-b.kedge", header);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("unauthorized", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        var message = response.Headers.GetValues("X-Kedge-Error").Single();
        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, message, StringComparison.Ordinal);
        Assert.Equal(0, _backend.RequestCount);
    }

    [Fact]
    public async Task Http_ValidTokenWithoutPermission_403ForbiddenNamingWhatIsMissing()
    {
        using var response = await SendAsync("orders.shop.svc.cluster-b.kedge", "Bearer " + Token("read"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden", response.Headers.GetValues("X-Kedge-Error-Type").Single());
        Assert.Contains("needs any of [proxy, ops]", response.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_UnmatchedHostWithoutToken_401BeforeRevealingThatNoRouteExists()
    {
        using var response = await SendAsync("nothing.here.kedge", proxyAuthorization: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Http_UnknownKidThenRotatedJwks_AcceptedAfterOneRefresh()
    {
        var rotated = TestOidcIssuer.NewRsaKey("rsa-2");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("orders.shop.svc.cluster-b.kedge", "Bearer " + Token("proxy"))).StatusCode);
        var fetchesBefore = _issuer.JwksFetches;
        _issuer.Publish(rotated);
        var token = _issuer.CreateToken(Audience, new Dictionary<string, object> { ["perms"] = new[] { "proxy" } }, rotated);

        // The first request with the unknown kid asks for a refresh; the refresh runs in the background.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        HttpStatusCode status;
        do
        {
            status = (await SendAsync("orders.shop.svc.cluster-b.kedge", "Bearer " + token)).StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(200);
            }
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(_issuer.JwksFetches > fetchesBefore);
        Assert.True(_issuer.JwksFetches - fetchesBefore <= 3, $"JWKS fetched {_issuer.JwksFetches - fetchesBefore} times for one rotation");
    }

    [Fact]
    public async Task Http_RoutePermissionRule_ReplacesDefaultAndIsEnforced()
    {
        using var denied = await SendAsync("admin.shop.svc.cluster-b.kedge", "Bearer " + Token("proxy"));
        using var allowed = await SendAsync("admin.shop.svc.cluster-b.kedge", "Bearer " + Token("admin"));

        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("needs any of [admin]", denied.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Http_RouteCertificateRule_MatchingSpiffeIdPassesWithoutToken()
    {
        var payments = _kedge.Ca.IssueClientCertificate("payments-api", "spiffe://cluster-a/ns/payments/api");

        using var allowed = await SendAsync("payments.shop.svc.cluster-b.kedge", proxyAuthorization: null, payments);
        using var otherIdentity = await SendAsync("payments.shop.svc.cluster-b.kedge", "Bearer " + Token("proxy", "admin"), _kedge.ClientCertificate);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherIdentity.StatusCode);
        Assert.Contains("matches none of [URI:spiffe://cluster-a/ns/payments/*]", otherIdentity.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_RouteCertificateRuleWithoutCertificate_401AskingForOne()
    {
        using var http = KedgeTestHttp.Create(_kedge, clientCertificate: null);
        using var response = await http.SendAsync(KedgeTestHttp.Request("payments.shop.svc.cluster-b.kedge"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("client certificate is required", response.Headers.GetValues("X-Kedge-Error").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_RouteNeedingTokenAndCertificate_BothRequired()
    {
        var payments = _kedge.Ca.IssueClientCertificate("payments-api", "spiffe://cluster-a/ns/payments/api");

        using var certificateOnly = await SendAsync("both.shop.svc.cluster-b.kedge", proxyAuthorization: null, payments);
        using var tokenOnly = await SendAsync("both.shop.svc.cluster-b.kedge", "Bearer " + Token("admin"), _kedge.ClientCertificate);
        using var both = await SendAsync("both.shop.svc.cluster-b.kedge", "Bearer " + Token("admin"), payments);

        Assert.Equal(HttpStatusCode.Unauthorized, certificateOnly.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, tokenOnly.StatusCode);
        Assert.Equal(HttpStatusCode.OK, both.StatusCode);
    }

    [Fact]
    public async Task Http_PermissionArrayElementWithSpace_IsOnePermissionNotTwo()
    {
        using var response = await SendAsync("admin.shop.svc.cluster-b.kedge", "Bearer " + Token("not admin"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Http_TokenClaimsNamedLikeKedgeOwn_CannotStandInForCertificateOrPermissions()
    {
        var smuggling = _issuer.CreateToken(Audience, new Dictionary<string, object>
        {
            ["perms"] = new[] { "proxy" },
            ["kedge/permission"] = "admin",
            ["kedge/cn"] = "payments-api",
            ["kedge/uri"] = "spiffe://cluster-a/ns/payments/api",
        });

        using var permission = await SendAsync("admin.shop.svc.cluster-b.kedge", "Bearer " + smuggling);
        using var certificate = await SendAsync("payments.shop.svc.cluster-b.kedge", "Bearer " + smuggling, _kedge.ClientCertificate);

        Assert.Equal(HttpStatusCode.Forbidden, permission.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, certificate.StatusCode);
    }

    [Fact]
    public async Task Admin_DebugConfigNeedsTokenWhileHealthReadinessAndMetricsStayOpen()
    {
        using var admin = new HttpClient { BaseAddress = _kedge.AdminUrl };
        using var anonymous = await admin.GetAsync("/debug/config");
        using var withToken = new HttpRequestMessage(HttpMethod.Get, "/debug/config");
        withToken.Headers.TryAddWithoutValidation("Proxy-Authorization", "Bearer " + Token("ops"));
        using var authorized = await admin.SendAsync(withToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("orders.shop.svc.cluster-b.kedge", await authorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/_healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Grpc_ValidToken_BackendSeesAuthorizationButNoProxyAuthorization()
    {
        using var channel = Channel();
        var reply = await new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest { Name = "x" }, Metadata("Bearer " + Token("proxy")));

        Assert.Equal(string.Empty, reply.ProxyAuthorization);
        Assert.Equal("Bearer for-the-backend", reply.Authorization);
    }

    [Fact]
    public async Task Grpc_ValidTokenOnStreamingCall_ProxyAuthorizationStripped()
    {
        using var channel = Channel();
        using var call = new Greeter.GreeterClient(channel).SayHellos(new HelloRequest { Name = "s", Count = 2 }, Metadata("Bearer " + Token("proxy")));
        var replies = await call.ResponseStream.ReadAllAsync().ToListAsync();

        Assert.Equal(2, replies.Count);
        Assert.All(replies, r => Assert.Equal(string.Empty, r.ProxyAuthorization));
    }

    [Fact]
    public async Task Grpc_NoTokenOrExpired_Unauthenticated()
    {
        using var channel = Channel();
        var greeter = new Greeter.GreeterClient(channel);
        var expired = _issuer.CreateToken(Audience, new Dictionary<string, object> { ["perms"] = new[] { "proxy" } }, expires: DateTime.UtcNow.AddMinutes(-10), notBefore: DateTime.UtcNow.AddMinutes(-20));

        var none = await Assert.ThrowsAsync<RpcException>(() => greeter.SayHelloAsync(new HelloRequest(), Metadata(null)).ResponseAsync);
        var late = await Assert.ThrowsAsync<RpcException>(() => greeter.SayHelloAsync(new HelloRequest(), Metadata("Bearer " + expired)).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        Assert.Contains("no Proxy-Authorization header", none.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unauthenticated, late.StatusCode);
        Assert.Contains("has expired", late.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Grpc_ValidTokenWithoutPermission_PermissionDenied()
    {
        using var channel = Channel();

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Greeter.GreeterClient(channel).SayHelloAsync(new HelloRequest(), Metadata("Bearer " + Token("read"))).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(0, _grpcBackend.RequestCount);
    }

    [Fact]
    public async Task Grpc_RoutePermissionRule_ReplacesDefaultAndIsEnforced()
    {
        using var channel = Channel();
        var greeter = new Greeter.GreeterClient(channel);
        Metadata AdminRoute(string token)
        {
            var metadata = Metadata("Bearer " + token);
            metadata.Add("x-route", "admin");
            return metadata;
        }

        var denied = await Assert.ThrowsAsync<RpcException>(() => greeter.SayHelloAsync(new HelloRequest(), AdminRoute(Token("proxy"))).ResponseAsync);
        var reply = await greeter.SayHelloAsync(new HelloRequest { Name = "root" }, AdminRoute(Token("admin")));

        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("needs any of [admin]", denied.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("Hello root", reply.Message);
    }

    private GrpcChannel Channel() => GrpcChannel.ForAddress(_kedge.KedgeUrl, new GrpcChannelOptions
    {
        HttpClient = KedgeTestHttp.Create(_kedge, _kedge.ClientCertificate),
        DisposeHttpClient = true,
    });

    private static Metadata Metadata(string? proxyAuthorization)
    {
        var metadata = new Metadata { { "authorization", "Bearer for-the-backend" } };
        if (proxyAuthorization is not null)
        {
            metadata.Add("proxy-authorization", proxyAuthorization);
        }

        return metadata;
    }

    private static RsaSecurityKey WithKeyId(RsaSecurityKey key, string keyId)
    {
        key.KeyId = keyId;
        return key;
    }
}

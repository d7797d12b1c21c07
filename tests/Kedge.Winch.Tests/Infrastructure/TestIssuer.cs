using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// An OIDC issuer on loopback for auth-source tests: discovery, an authorization endpoint that approves at once and
/// redirects back with a code, a device authorization endpoint, and a token endpoint for the authorization_code (PKCE
/// checked), refresh_token, device_code and JWT-bearer (assertion verified with IdentityModel) grants. ID tokens are
/// unsigned JWTs whose <c>exp</c> follows the given clock. Knobs make it fail the ways real issuers do.
/// </summary>
public sealed class TestIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, (string RedirectUri, string Challenge)> _codes = new();
    private int _issued;

    private TestIssuer(WebApplication app, TimeProvider clock)
    {
        _app = app;
        _clock = clock;
    }

    public Uri Url { get; private set; } = null!;

    public string ClientId => "winch-test";

    public string ClientSecret => "issuer-secret";

    /// <summary>The refresh token the issuer accepts.</summary>
    public string RefreshToken { get; set; } = "refresh-1";

    /// <summary>How many tokens the token endpoint gave out.</summary>
    public int TokensIssued => _issued;

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The public key of the service account whose JWT-bearer assertions the token endpoint accepts.</summary>
    public System.Security.Cryptography.RSA? ServiceAccountKey { get; set; }

    /// <summary>The <c>target_audience</c> of the last accepted service-account assertion.</summary>
    public string? LastTargetAudience { get; private set; }

    /// <summary>Whether discovery advertises the device authorization endpoint.</summary>
    public bool OffersDeviceLogin { get; set; }

    /// <summary>Whether the user has approved the device login (until then the token endpoint says authorization_pending).</summary>
    public bool DeviceApproved { get; set; }

    /// <summary>How many device logins were started.</summary>
    public int DeviceLoginsStarted => _deviceLogins;

    private int _deviceLogins;

    private int _devicePolls;

    private int _redirectedTokenRequests;

    /// <summary>How many times the token endpoint was asked whether a device login finished.</summary>
    public int DevicePolls => _devicePolls;

    /// <summary>OAuth errors the device_code grant answers, one per poll, before it looks at <see cref="DeviceApproved"/>.</summary>
    public ConcurrentQueue<string> DevicePollAnswers { get; } = new();

    /// <summary>When set, discovery answers this status instead of the document.</summary>
    public int? DiscoveryStatus { get; set; }

    /// <summary>When set, the <c>issuer</c> that discovery names (a mix-up: another issuer's document).</summary>
    public string? DiscoveryIssuer { get; set; }

    /// <summary>When set, the <c>token_endpoint</c> that discovery names.</summary>
    public string? DiscoveryTokenEndpoint { get; set; }

    /// <summary>When true, the token endpoint answers 307 to another path that would issue tokens.</summary>
    public bool RedirectTokenRequests { get; set; }

    /// <summary>How many token requests arrived at the redirect target.</summary>
    public int RedirectedTokenRequests => _redirectedTokenRequests;

    /// <summary>The query of the last authorization request.</summary>
    public IReadOnlyDictionary<string, string> LastAuthorizeQuery { get; private set; } = new Dictionary<string, string>();

    /// <summary>The form of the last token request.</summary>
    public IReadOnlyDictionary<string, string> LastTokenForm { get; private set; } = new Dictionary<string, string>();

    /// <summary>The key id the service account's assertions must name.</summary>
    public string ServiceAccountKeyId { get; set; } = "key-1";

    /// <summary>The last accepted service-account assertion, as IdentityModel read it after validating it.</summary>
    public JsonWebToken? LastAssertion { get; private set; }

    public static async Task<TestIssuer> StartAsync(TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var issuer = new TestIssuer(app, clock);
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            if (issuer.DiscoveryStatus is { } status)
            {
                return Results.Text("not here", statusCode: status);
            }

            var discovery = new Dictionary<string, string>
            {
                ["issuer"] = issuer.DiscoveryIssuer ?? issuer.Url.ToString().TrimEnd('/'),
                ["authorization_endpoint"] = issuer.Url + "authorize",
                ["token_endpoint"] = issuer.DiscoveryTokenEndpoint ?? issuer.Url + "token",
                ["jwks_uri"] = issuer.Url + "jwks",
            };
            if (issuer.OffersDeviceLogin)
            {
                discovery["device_authorization_endpoint"] = issuer.Url + "device";
            }

            return Results.Json(discovery);
        });
        app.MapGet("/jwks", () => Results.Json(new { keys = Array.Empty<object>() }));
        app.MapPost("/device", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            if (form["client_id"] != issuer.ClientId || !form["scope"].ToString().Contains("openid", StringComparison.Ordinal))
            {
                return Results.Json(new { error = "invalid_request" }, statusCode: 400);
            }

            Interlocked.Increment(ref issuer._deviceLogins);
            return Results.Json(new Dictionary<string, object>
            {
                ["device_code"] = "device-code-1",
                ["user_code"] = "WDJB-MJHT",
                ["verification_uri"] = issuer.Url + "activate",
                ["interval"] = 5,
                ["expires_in"] = 600,
            });
        });
        app.MapGet("/authorize", (HttpContext context) =>
        {
            var query = context.Request.Query;
            issuer.LastAuthorizeQuery = query.ToDictionary(q => q.Key, q => q.Value.ToString());
            if (query["client_id"] != issuer.ClientId || query["code_challenge_method"] != "S256" || !query["scope"].ToString().Contains("openid", StringComparison.Ordinal))
            {
                return Results.BadRequest("bad authorization request");
            }

            var code = "code-" + Guid.NewGuid().ToString("N");
            issuer._codes[code] = (query["redirect_uri"].ToString(), query["code_challenge"].ToString());
            return Results.Redirect($"{query["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(query["state"].ToString())}");
        });
        app.MapPost("/token-elsewhere", () =>
        {
            Interlocked.Increment(ref issuer._redirectedTokenRequests);
            return Results.Json(new { id_token = issuer.CreateIdToken("redirected"), refresh_token = "refresh-redirected" });
        });
        app.MapPost("/token", async (HttpContext context) =>
        {
            if (issuer.RedirectTokenRequests)
            {
                return Results.Redirect(issuer.Url + "token-elsewhere", permanent: false, preserveMethod: true);
            }

            var form = await context.Request.ReadFormAsync();
            issuer.LastTokenForm = form.ToDictionary(f => f.Key, f => f.Value.ToString());
            var grant = form["grant_type"].ToString();
            if (grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" && (form["client_id"] != issuer.ClientId || form["client_secret"] != issuer.ClientSecret))
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            switch (grant)
            {
                case "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    // Verified as a real token endpoint would: signature with the account's public key, RS256 only, audience
                    // = this endpoint. Lifetime and the other claims are the test's to assert (against its fake clock).
                    var validation = await new JsonWebTokenHandler().ValidateTokenAsync(form["assertion"].ToString(), new TokenValidationParameters
                    {
                        IssuerSigningKey = issuer.ServiceAccountKey is { } key ? new RsaSecurityKey(key.ExportParameters(false)) { KeyId = issuer.ServiceAccountKeyId } : null,
                        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                        ValidAudience = issuer.Url + "token",
                        ValidateIssuer = false,
                        ValidateLifetime = false,
                    });
                    if (!validation.IsValid)
                    {
                        return Results.Json(new { error = "invalid_grant", error_description = validation.Exception?.GetType().Name }, statusCode: 400);
                    }

                    issuer.LastAssertion = (JsonWebToken)validation.SecurityToken;
                    issuer.LastTargetAudience = issuer.LastAssertion.GetPayloadValue<string>("target_audience");
                    break;

                case "authorization_code":
                    if (!issuer._codes.TryRemove(form["code"].ToString(), out var pending) || pending.RedirectUri != form["redirect_uri"])
                    {
                        return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                    }

                    var challenge = Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
                    if (challenge != pending.Challenge)
                    {
                        return Results.Json(new { error = "invalid_grant", error_description = "PKCE verifier does not match" }, statusCode: 400);
                    }

                    break;

                case "urn:ietf:params:oauth:grant-type:device_code":
                    if (form["device_code"] != "device-code-1")
                    {
                        return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
                    }

                    Interlocked.Increment(ref issuer._devicePolls);
                    if (issuer.DevicePollAnswers.TryDequeue(out var answer))
                    {
                        return Results.Json(new { error = answer }, statusCode: 400);
                    }

                    if (!issuer.DeviceApproved)
                    {
                        return Results.Json(new { error = "authorization_pending" }, statusCode: 400);
                    }

                    break;

                case "refresh_token":
                    if (form["refresh_token"] != issuer.RefreshToken)
                    {
                        return Results.Json(new { error = "invalid_grant", error_description = "refresh token revoked" }, statusCode: 400);
                    }

                    break;

                default:
                    return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
            }

            var number = Interlocked.Increment(ref issuer._issued);
            issuer.RefreshToken = "refresh-" + (number + 1);
            return Results.Json(new Dictionary<string, object>
            {
                ["id_token"] = issuer.CreateIdToken("id-" + number),
                ["access_token"] = "access-" + number,
                ["refresh_token"] = issuer.RefreshToken,
                ["token_type"] = "Bearer",
                ["expires_in"] = (int)issuer.TokenLifetime.TotalSeconds,
            });
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        issuer.Url = new Uri(address.TrimEnd('/') + "/");
        return issuer;
    }

    /// <summary>An unsigned JWT with subject <paramref name="subject"/> expiring <see cref="TokenLifetime"/> from now (by the clock).</summary>
    public string CreateIdToken(string subject, TimeSpan? lifetime = null)
    {
        static string Part(object value) => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(value));
        var exp = _clock.GetUtcNow().Add(lifetime ?? TokenLifetime).ToUnixTimeSeconds();
        return Part(new { alg = "none", typ = "JWT" }) + "." + Part(new { iss = Url.ToString().TrimEnd('/'), sub = subject, aud = ClientId, exp }) + ".sig";
    }

    /// <summary>The subject of a token made by <see cref="CreateIdToken"/>.</summary>
    public static string SubjectOf(string idToken)
    {
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(idToken.Split('.')[1]));
        return document.RootElement.GetProperty("sub").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

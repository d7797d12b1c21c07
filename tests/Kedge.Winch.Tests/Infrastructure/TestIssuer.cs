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

namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// An OIDC issuer on loopback for auth-source tests: discovery, an authorization endpoint that approves at once and
/// redirects back with a code, and a token endpoint for the authorization_code (PKCE checked) and refresh_token grants.
/// ID tokens are unsigned JWTs whose <c>exp</c> follows the given clock.
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

    public static async Task<TestIssuer> StartAsync(TimeProvider clock)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var issuer = new TestIssuer(app, clock);
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            var discovery = new Dictionary<string, string>
            {
                ["issuer"] = issuer.Url.ToString().TrimEnd('/'),
                ["authorization_endpoint"] = issuer.Url + "authorize",
                ["token_endpoint"] = issuer.Url + "token",
            };
            if (issuer.OffersDeviceLogin)
            {
                discovery["device_authorization_endpoint"] = issuer.Url + "device";
            }

            return Results.Json(discovery);
        });
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
            if (query["client_id"] != issuer.ClientId || query["code_challenge_method"] != "S256" || !query["scope"].ToString().Contains("openid", StringComparison.Ordinal))
            {
                return Results.BadRequest("bad authorization request");
            }

            var code = "code-" + Guid.NewGuid().ToString("N");
            issuer._codes[code] = (query["redirect_uri"].ToString(), query["code_challenge"].ToString());
            return Results.Redirect($"{query["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(query["state"].ToString())}");
        });
        app.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var grant = form["grant_type"].ToString();
            if (grant != "urn:ietf:params:oauth:grant-type:jwt-bearer" && (form["client_id"] != issuer.ClientId || form["client_secret"] != issuer.ClientSecret))
            {
                return Results.Json(new { error = "invalid_client" }, statusCode: 401);
            }

            switch (grant)
            {
                case "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    var parts = form["assertion"].ToString().Split('.');
                    var valid = parts.Length == 3 && issuer.ServiceAccountKey is { } key && key.VerifyData(
                        Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]),
                        Base64Url.DecodeFromChars(parts[2]),
                        System.Security.Cryptography.HashAlgorithmName.SHA256,
                        System.Security.Cryptography.RSASignaturePadding.Pkcs1);
                    if (!valid)
                    {
                        return Results.Json(new { error = "invalid_grant", error_description = "bad signature" }, statusCode: 400);
                    }

                    using (var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1])))
                    {
                        if (claims.RootElement.GetProperty("aud").GetString() != issuer.Url + "token")
                        {
                            return Results.Json(new { error = "invalid_grant", error_description = "wrong aud" }, statusCode: 400);
                        }

                        issuer.LastTargetAudience = claims.RootElement.GetProperty("target_audience").GetString();
                    }

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

using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Testing;

/// <summary>
/// An OIDC issuer on loopback TLS: a discovery document and a JWKS (RSA and EC keys) that tests can rotate, and ID
/// tokens minted with any claims, lifetimes, keys or algorithms (including broken ones).
/// </summary>
public sealed class TestOidcIssuer : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<SecurityKey> _published = [];
    private WebApplication? _app;
    private int _jwksFetches;

    private TestOidcIssuer()
    {
        RsaKey = NewRsaKey("rsa-1");
        EcKey = new ECDsaSecurityKey(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-1" };
        _published.AddRange([RsaKey, EcKey]);
    }

    /// <summary>The issuer URL (<c>https://localhost:port</c>), as tokens' <c>iss</c> and kedge's provider URL.</summary>
    public string Issuer { get; private set; } = string.Empty;

    public RsaSecurityKey RsaKey { get; }

    public ECDsaSecurityKey EcKey { get; }

    /// <summary>How often the JWKS was fetched.</summary>
    public int JwksFetches => Volatile.Read(ref _jwksFetches);

    public static async Task<TestOidcIssuer> StartAsync(TestCertificateAuthority ca, ILoggerProvider? logs = null)
    {
        var issuer = new TestOidcIssuer();
        var certificate = ca.IssueServerCertificate("localhost");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
        {
            l.Protocols = HttpProtocols.Http1AndHttp2;
            l.UseHttps(certificate);
        }));
        var app = builder.Build();
        app.MapGet("/.well-known/openid-configuration", () => Results.Text(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["issuer"] = issuer.Issuer,
            ["jwks_uri"] = issuer.Issuer + "/jwks",
            ["authorization_endpoint"] = issuer.Issuer + "/authorize",
            ["token_endpoint"] = issuer.Issuer + "/token",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256", "ES256" },
            ["response_types_supported"] = new[] { "id_token" },
            ["subject_types_supported"] = new[] { "public" },
        }), "application/json"));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref issuer._jwksFetches);
            return Results.Text(issuer.JwksJson(), "application/json");
        });
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        issuer.Issuer = $"https://localhost:{port}";
        issuer._app = app;
        return issuer;
    }

    /// <summary>A new RSA key that is not published yet (publish it with <see cref="Publish"/>).</summary>
    public static RsaSecurityKey NewRsaKey(string keyId) => new(RSA.Create(2048)) { KeyId = keyId };

    /// <summary>Publishes <paramref name="key"/> in the JWKS (key rotation).</summary>
    public void Publish(SecurityKey key)
    {
        lock (_gate)
        {
            _published.Add(key);
        }
    }

    /// <summary>A signed ID token. Defaults: RSA key, issued now for <paramref name="audience"/>, valid 5 minutes.</summary>
    public string CreateToken(string audience, IDictionary<string, object>? claims = null, SecurityKey? key = null, string? algorithm = null,
        DateTime? expires = null, DateTime? notBefore = null, string? issuer = null, string subject = "alice")
    {
        key ??= RsaKey;
        algorithm ??= key is ECDsaSecurityKey ? SecurityAlgorithms.EcdsaSha256 : SecurityAlgorithms.RsaSha256;
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? now).AddSeconds(-1),
            NotBefore = notBefore ?? now.AddSeconds(-1),
            Expires = expires ?? now.AddMinutes(5),
            Claims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = subject },
            SigningCredentials = new SigningCredentials(key, algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (<c>alg: none</c>) with the given claims.</summary>
    public string CreateUnsignedToken(string audience, IDictionary<string, object>? claims = null)
    {
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object>(claims ?? new Dictionary<string, object>())
        {
            ["iss"] = Issuer, ["aud"] = audience, ["sub"] = "mallory", ["iat"] = now, ["nbf"] = now - 1, ["exp"] = now + 300,
        };
        return header + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload)) + ".";
    }

    /// <summary>A token signed with HS256 using the published RSA key's public modulus as the secret (the classic confusion attack).</summary>
    public string CreateHmacConfusionToken(string audience, IDictionary<string, object>? claims = null)
    {
        var secret = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(Convert.ToBase64String(RsaKey.Rsa.ExportParameters(false).Modulus!))) { KeyId = RsaKey.KeyId };
        return CreateToken(audience, claims, secret, SecurityAlgorithms.HmacSha256);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private string JwksJson()
    {
        lock (_gate)
        {
            var keys = _published.Select(k => JsonWebKeyConverter.ConvertFromSecurityKey(k) switch
            {
                var jwk when k is ECDsaSecurityKey => new Dictionary<string, string?> { ["kty"] = "EC", ["kid"] = jwk.Kid, ["use"] = "sig", ["crv"] = jwk.Crv, ["x"] = jwk.X, ["y"] = jwk.Y, ["alg"] = "ES256" },
                var jwk => new Dictionary<string, string?> { ["kty"] = "RSA", ["kid"] = jwk.Kid, ["use"] = "sig", ["n"] = jwk.N, ["e"] = jwk.E, ["alg"] = "RS256" },
            });
            return JsonSerializer.Serialize(new { keys });
        }
    }
}

using System.Net.Security;
using System.Security.Claims;
using Kedge.Common.Tls;
using Kedge.Server.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kedge.Server.Authorization;

/// <summary>Registers kedge's authentication schemes and authorization handlers.</summary>
internal static class KedgeAuthentication
{
    /// <summary>Asymmetric algorithms only: <c>none</c> and HMAC (a public key used as a shared secret) never verify.</summary>
    internal static readonly string[] AllowedAlgorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    public static void AddKedgeAuthentication(this IServiceCollection services, KedgeAuthSettings auth, TimeProvider timeProvider)
    {
        services.AddAuthorization();
        services.AddSingleton<IAuthorizationHandler, PermissionHandler>();
        services.AddSingleton<IAuthorizationHandler, ClientIdentityHandler>();
        services.AddSingleton<KedgeAuthorizer>();

        // No default scheme, ever: kedge authenticates per route, so nothing may run on every request (with one scheme
        // registered, ASP.NET Core would otherwise make it the default and authenticate each request up front).
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", isEnabled: true);
        var builder = services.AddAuthentication();
        builder.AddScheme<AuthenticationSchemeOptions, ClientCertificateHandler>(KedgeAuthSchemes.ClientCertificate, _ => { });
        if (auth.UsesStaticToken)
        {
            builder.AddScheme<StaticTokenOptions, StaticTokenHandler>(KedgeAuthSchemes.StaticToken, o => o.Token = auth.UnsafeBearerToken!);
        }

        if (auth.UsesOidc)
        {
            builder.AddJwtBearer(KedgeAuthSchemes.Oidc, o => ConfigureOidc(o, auth, timeProvider));
        }
    }

    private static void ConfigureOidc(JwtBearerOptions options, KedgeAuthSettings auth, TimeProvider timeProvider)
    {
        options.Authority = auth.OidcProviderUrl;
        options.Audience = auth.OidcClientId;
        options.MapInboundClaims = false;
        options.TimeProvider = timeProvider;
        options.RefreshOnIssuerKeyNotFound = true;
        options.RefreshInterval = auth.OidcJwksRefreshRateLimit;
        options.BackchannelHttpHandler = IssuerHandler(auth.OidcCaFile);
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = auth.OidcClientId,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = auth.OidcClockSkew,
            ValidAlgorithms = AllowedAlgorithms,
            AuthenticationType = KedgeAuthSchemes.Oidc,
            LifetimeValidator = (notBefore, expires, _, parameters) => CheckLifetime(notBefore, expires, parameters.ClockSkew, timeProvider),
        };
        options.Events = new JwtBearerEvents
        {
            // The token is kedge's, so it travels in Proxy-Authorization; the backend's own Authorization is never read.
            OnMessageReceived = context =>
            {
                switch (ProxyAuthorizationHeader.Read(context.Request, out var token))
                {
                    case ProxyCredentialStatus.Missing:
                        context.NoResult();
                        break;
                    case ProxyCredentialStatus.Malformed:
                        context.Fail(ProxyAuthorizationHeader.MalformedMessage);
                        break;
                    default:
                        context.Token = token;
                        break;
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                if (context.SecurityToken is JsonWebToken token && context.Principal is { } principal)
                {
                    principal.AddIdentity(new ClaimsIdentity(
                        ReadPermissions(token, auth.OidcPermsClaim!).Select(p => new Claim(KedgeAuthSchemes.PermissionClaim, p)),
                        KedgeAuthSchemes.PermissionsIdentity));
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>
    /// The permissions in <paramref name="claim"/>: a JSON array of strings (each element one permission, spaces and
    /// all) or one space-separated string. Anything else holds no permission.
    /// </summary>
    internal static IReadOnlyList<string> ReadPermissions(JsonWebToken token, string claim)
    {
        // Read with the claim's own JSON type (IdentityModel's Claims flatten arrays and strings alike into strings):
        // the payload keeps a string as a string and anything else as its JSON element.
        if (token.TryGetPayloadValue<object>(claim, out var value) && value is string text)
        {
            return text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }

        return value is System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.Array } array
            ? [.. array.EnumerateArray().Where(e => e.ValueKind == System.Text.Json.JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
    }

    /// <summary>Lifetime against <see cref="TimeProvider"/>, with the skew; throws the specific exception so the answer says what was wrong.</summary>
    internal static bool CheckLifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew, TimeProvider timeProvider)
    {
        var now = timeProvider.GetUtcNow().UtcDateTime;
        if (expires is null)
        {
            throw new SecurityTokenNoExpirationException("The token has no expiry.");
        }

        if (notBefore is { } nbf && nbf > now + skew)
        {
            throw new SecurityTokenNotYetValidException("The token is not valid yet.") { NotBefore = nbf };
        }

        if (expires.Value < now - skew)
        {
            throw new SecurityTokenExpiredException("The token has expired.") { Expires = expires.Value };
        }

        return true;
    }

    /// <summary>
    /// The issuer's HTTP client keeps the platform defaults (environment proxy, redirects): an issuer is a public
    /// service, reached the way the host reaches the internet. With a CA file, the issuer must chain to it.
    /// </summary>
    private static SocketsHttpHandler IssuerHandler(string? caFile)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        if (caFile is not null)
        {
            var cas = TrustBundle.Load([caFile]);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, presented, errors) =>
                    certificate is not null && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0 && CertificateChains.Build(certificate, presented, cas),
            };
        }

        return handler;
    }
}

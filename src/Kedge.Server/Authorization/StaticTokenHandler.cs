using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kedge.Server.Authorization;

/// <summary>
/// <c>unsafe_bearer_token_proxy_auth</c>: the caller must send the one static token. Compared in constant time (over
/// SHA-256 digests, so not even the length leaks), unlike Go kedge's plain string comparison.
/// </summary>
internal sealed class StaticTokenHandler(IOptionsMonitor<StaticTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<StaticTokenOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var status = ProxyAuthorizationHeader.Read(Request, out var token);
        if (status == ProxyCredentialStatus.Missing)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (status == ProxyCredentialStatus.Malformed)
        {
            return Task.FromResult(AuthenticateResult.Fail(ProxyAuthorizationHeader.MalformedMessage));
        }

        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(Options.Token));
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return Task.FromResult(AuthenticateResult.Fail("the bearer token is invalid"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "static-token")], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }
}

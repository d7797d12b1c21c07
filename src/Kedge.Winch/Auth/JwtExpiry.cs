using Microsoft.IdentityModel.JsonWebTokens;

namespace Kedge.Winch.Auth;

/// <summary>
/// Reads the <c>exp</c> claim of a JWT (with IdentityModel's <see cref="JsonWebToken"/>) without verifying it. winch
/// only decides whether to refresh a token it was given by the issuer; kedge verifies the token.
/// </summary>
internal static class JwtExpiry
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <summary>The expiry, or null when the token is not a signed JWT or has no numeric <c>exp</c>.</summary>
    public static DateTimeOffset? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || !Handler.CanReadToken(token))
        {
            return null;
        }

        try
        {
            var jwt = new JsonWebToken(token);
            return !jwt.IsEncrypted && jwt.TryGetPayloadValue<long>(JwtRegisteredClaimNames.Exp, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null;
        }
        catch (ArgumentException)
        {
            // IdentityModel's malformed-token exceptions are ArgumentExceptions.
            return null;
        }
    }

    /// <summary>True when the token is a JWT that stays valid for more than <see cref="WinchAuthContext.ExpirySkew"/>.</summary>
    public static bool IsFresh(string? token, TimeProvider timeProvider)
        => Read(token) is { } expiry && expiry - WinchAuthContext.ExpirySkew > timeProvider.GetUtcNow();
}

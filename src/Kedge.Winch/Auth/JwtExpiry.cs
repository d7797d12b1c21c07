using System.Buffers.Text;
using System.Text.Json;

namespace Kedge.Winch.Auth;

/// <summary>
/// Reads the <c>exp</c> claim of a JWT without verifying it. winch only decides whether to refresh a token it was given
/// by the issuer; kedge verifies the token.
/// </summary>
internal static class JwtExpiry
{
    /// <summary>The expiry, or null when the token is not a JWT or has no numeric <c>exp</c>.</summary>
    public static DateTimeOffset? Read(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            var payload = Base64Url.DecodeFromChars(parts[1]);
            using var document = JsonDocument.Parse(payload);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("exp", out var exp)
                && exp.ValueKind == JsonValueKind.Number
                && exp.TryGetInt64(out var seconds))
            {
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentOutOfRangeException)
        {
            return null;
        }

        return null;
    }

    /// <summary>True when the token is a JWT that stays valid for more than <see cref="WinchAuthContext.ExpirySkew"/>.</summary>
    public static bool IsFresh(string? token, TimeProvider timeProvider)
        => Read(token) is { } expiry && expiry - WinchAuthContext.ExpirySkew > timeProvider.GetUtcNow();
}

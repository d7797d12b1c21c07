namespace Kedge.Winch.Auth;

/// <summary>What an issuer's token endpoint returned.</summary>
internal sealed record OidcTokenResponse(string IdToken, string? RefreshToken, string? AccessToken);

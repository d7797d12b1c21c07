using Microsoft.AspNetCore.Authentication;

namespace Kedge.Server.Authorization;

/// <summary>Options of <see cref="StaticTokenHandler"/>.</summary>
internal sealed class StaticTokenOptions : AuthenticationSchemeOptions
{
    /// <summary>The expected token.</summary>
    public string Token { get; set; } = string.Empty;
}

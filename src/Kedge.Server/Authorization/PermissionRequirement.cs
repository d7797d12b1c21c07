using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>The caller's OIDC token must hold any one of <see cref="Permissions"/> in the claim <see cref="ClaimType"/>.</summary>
internal sealed class PermissionRequirement(string claimType, IReadOnlyList<string> permissions) : IAuthorizationRequirement
{
    public string ClaimType { get; } = claimType;

    public IReadOnlyList<string> Permissions { get; } = permissions;
}

using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>
/// Checks <see cref="PermissionRequirement"/> against the permissions kedge read from the token (see
/// <see cref="KedgeAuthentication.ReadPermissions"/>), held in their own identity.
/// </summary>
internal sealed class PermissionHandler : AuthorizationHandler<PermissionRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, PermissionRequirement requirement)
    {
        var held = context.User.Identities
            .Where(i => i.AuthenticationType == KedgeAuthSchemes.PermissionsIdentity)
            .SelectMany(i => i.FindAll(KedgeAuthSchemes.PermissionClaim))
            .Select(c => c.Value)
            .ToHashSet(StringComparer.Ordinal);
        if (requirement.Permissions.Any(held.Contains))
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        var subject = context.User.FindFirst("sub")?.Value ?? "(no sub)";
        var holds = held.Count == 0 ? $"no '{requirement.ClaimType}' permissions" : $"permissions [{string.Join(", ", held.Order(StringComparer.Ordinal))}]";
        context.Fail(new AuthorizationFailureReason(this, $"the caller \"{subject}\" has {holds}; this route needs any of [{string.Join(", ", requirement.Permissions)}]"));
        return Task.CompletedTask;
    }
}

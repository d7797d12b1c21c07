using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>Checks <see cref="ClientIdentityRequirement"/> against the claims <see cref="ClientCertificateHandler"/> made.</summary>
internal sealed class ClientIdentityHandler : AuthorizationHandler<ClientIdentityRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ClientIdentityRequirement requirement)
    {
        var user = context.User;
        var commonNames = user.FindAll(KedgeAuthSchemes.CommonNameClaim).Select(c => c.Value).ToList();
        var dnsNames = user.FindAll(KedgeAuthSchemes.DnsNameClaim).Select(c => c.Value).ToList();
        var uris = user.FindAll(KedgeAuthSchemes.UriClaim).Select(c => c.Value).ToList();
        if (AnyMatch(requirement.CommonNames, commonNames, StringComparison.Ordinal)
            || AnyMatch(requirement.DnsNames, dnsNames, StringComparison.OrdinalIgnoreCase)
            || AnyMatch(requirement.Uris, uris, StringComparison.Ordinal))
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        var presented = commonNames.Select(n => "CN=" + n).Concat(dnsNames.Select(n => "DNS:" + n)).Concat(uris.Select(n => "URI:" + n));
        var wanted = requirement.CommonNames.Select(n => "CN=" + n).Concat(requirement.DnsNames.Select(n => "DNS:" + n)).Concat(requirement.Uris.Select(n => "URI:" + n));
        context.Fail(new AuthorizationFailureReason(this, $"the client certificate [{string.Join(", ", presented)}] matches none of [{string.Join(", ", wanted)}] this route accepts"));
        return Task.CompletedTask;
    }

    private static bool AnyMatch(IReadOnlyList<string> patterns, List<string> values, StringComparison comparison)
        => patterns.Any(p => values.Any(v => ClientIdentityRequirement.Matches(p, v, comparison)));
}

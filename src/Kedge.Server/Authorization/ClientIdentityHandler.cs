using Microsoft.AspNetCore.Authorization;

namespace Kedge.Server.Authorization;

/// <summary>Checks <see cref="ClientIdentityRequirement"/> against the claims <see cref="ClientCertificateHandler"/> made.</summary>
internal sealed class ClientIdentityHandler : AuthorizationHandler<ClientIdentityRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ClientIdentityRequirement requirement)
    {
        // Only the certificate's own identity counts: a token's claims never stand in for a certificate's names.
        var certificate = context.User.Identities.Where(i => i.AuthenticationType == KedgeAuthSchemes.ClientCertificate).ToList();
        List<string> Values(string type) => [.. certificate.SelectMany(i => i.FindAll(type)).Select(c => c.Value)];
        var commonNames = Values(KedgeAuthSchemes.CommonNameClaim);
        var dnsNames = Values(KedgeAuthSchemes.DnsNameClaim);
        var uris = Values(KedgeAuthSchemes.UriClaim);
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

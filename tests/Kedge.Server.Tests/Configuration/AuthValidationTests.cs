using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;

namespace Kedge.Server.Tests.Configuration;

public class AuthValidationTests
{
    private static List<string> ValidateSettings(KedgeAuthSettings auth, Action<KedgeServerSettings>? configure = null)
    {
        var settings = new KedgeServerSettings { Auth = auth };
        configure?.Invoke(settings);
        var errors = new List<string>();
        // The settings' own rules (DnsServers) and the auth rules, as KedgeServerApp.Build runs them.
        KedgeSettingsValidator.ValidateValues(KedgeSettingsReport.FromHost(settings), errors);
        return errors;
    }

    private static KedgeAuthSettings Oidc() => new() { OidcProviderUrl = "https://issuer.example", OidcClientId = "kedge", OidcPermsClaim = "perms", OidcWhitelistPerms = ["proxy"] };

    [Fact]
    public void Validate_CompleteOidc_NoErrors()
    {
        Assert.Empty(ValidateSettings(Oidc()));
    }

    [Fact]
    public void Validate_StaticTokenAndOidc_RefusedAsMutuallyExclusive()
    {
        var auth = Oidc();
        auth.UnsafeBearerToken = "t";

        Assert.Contains(ValidateSettings(auth), e => e.Contains("cannot enable both", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_OidcMissingEverything_EveryKeyNamedWithItsFlag()
    {
        var errors = ValidateSettings(new KedgeAuthSettings { OidcProviderUrl = "http://issuer.example" });

        Assert.Contains(errors, e => e.StartsWith("Kedge:Auth:OidcProviderUrl (server_oidc_provider_url)", StringComparison.Ordinal) && e.Contains("https://", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Auth:OidcClientId (server_oidc_client_id)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Auth:OidcPermsClaim (server_oidc_perms_claim)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:Auth:OidcWhitelistPerms (server_oidc_whitelist_perms)", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_ProtectDebugWithoutAuth_Refused()
    {
        Assert.Contains(ValidateSettings(new KedgeAuthSettings { ProtectDebugEndpoints = true }), e => e.Contains("ProtectDebugEndpoints", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_StaticTokenWithSpace_Refused()
    {
        Assert.Contains(ValidateSettings(new KedgeAuthSettings { UnsafeBearerToken = "two words" }), e => e.Contains("one word", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_BadDnsServer_Named()
    {
        Assert.Contains(ValidateSettings(new KedgeAuthSettings(), s => s.DnsServers = ["dns.local"]), e => e.Contains("'dns.local'", StringComparison.Ordinal));
    }

    private static List<string> ValidateRouting(KedgeServerOptions options, KedgeServerSettings? settings = null)
    {
        var errors = new List<string>();
        KedgeServerOptionsValidator.Validate(options, "Kedge", errors, settings);
        return errors;
    }

    private static KedgeServerOptions WithRoute(RouteAuthorizationOptions authorization) => new()
    {
        HttpRoutes = [new() { Backend = "b1", Host = "a.example", Authorization = authorization }],
        HttpBackends = [new() { Name = "b1", Static = new() { Addresses = ["10.0.0.1:80"] } }],
    };

    [Fact]
    public void Validate_RoutePermissionsWithoutOidc_NamesRouteAndFix()
    {
        var errors = ValidateRouting(WithRoute(new() { Permissions = ["admin"] }));

        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpRoutes:0:Authorization:Permissions: need OIDC", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RouteCertificateRuleWithoutClientCas_Refused()
    {
        var errors = ValidateRouting(WithRoute(new() { ClientCertificate = new() { Uris = ["spiffe://a/*"] } }));

        Assert.Contains(errors, e => e.Contains("server_tls_client_ca_files", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EmptyAuthorizationOrCatchAllPattern_Refused()
    {
        var settings = new KedgeServerSettings { TlsClientCaFiles = ["ca.pem"] };

        Assert.Contains(ValidateRouting(WithRoute(new())), e => e.Contains("names neither Permissions nor ClientCertificate", StringComparison.Ordinal));
        Assert.Contains(ValidateRouting(WithRoute(new() { ClientCertificate = new() { Uris = ["*"] } }), settings), e => e.Contains("accepts any certificate", StringComparison.Ordinal));
        Assert.Empty(ValidateRouting(WithRoute(new() { ClientCertificate = new() { Uris = ["spiffe://a/*"] } }), settings));
    }

    [Theory]
    [InlineData("*", "open proxy")]
    [InlineData("*.", "open proxy")]
    [InlineData("", "is required")]
    [InlineData("10.0.0.1", "is an IP address")]
    [InlineData("a.*.x", "may only start with '*'")]
    [InlineData("*.com", "whole top-level domain")]
    [InlineData("*com", "whole top-level domain")]
    public void Validate_AdhocMatcher_OpenOrMalformedRefused(string matcher, string expected)
    {
        var errors = ValidateRouting(new KedgeServerOptions { HttpAdhocRules = [new() { DnsNameMatcher = matcher, Port = new() { Allowed = [80] } }] });

        Assert.Contains(errors, e => e.StartsWith("Kedge:HttpAdhocRules:0:DnsNameMatcher", StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_AdhocPortsAndNetworks_EveryErrorListed()
    {
        var errors = ValidateRouting(new KedgeServerOptions
        {
            GrpcAdhocRules =
            [
                new() { DnsNameMatcher = "*.a.test", Port = new() },
                new() { DnsNameMatcher = "*.b.test", Port = new() { Allowed = [0], AllowedRanges = [new() { From = 90, To = 80 }] }, AllowedReservedNetworks = ["localhost"], DnsNameReplace = new() },
            ],
        });

        // A rule that allows no port loads (Go configs may have one); it answers "port N is not allowed".
        Assert.DoesNotContain(errors, e => e.StartsWith("Kedge:GrpcAdhocRules:0", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:GrpcAdhocRules:1:Port:Allowed: 0 is not a port", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:GrpcAdhocRules:1:Port:AllowedRanges: [90, 80]", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:GrpcAdhocRules:1:AllowedReservedNetworks: 'localhost'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Kedge:GrpcAdhocRules:1:DnsNameReplace:Pattern", StringComparison.Ordinal));
    }
}

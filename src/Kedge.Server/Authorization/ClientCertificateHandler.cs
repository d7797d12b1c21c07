using System.Formats.Asn1;
using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kedge.Server.Authorization;

/// <summary>
/// Turns the client certificate that the TLS handshake already verified (against the client CA files) into an identity:
/// the subject CN and the DNS and URI subject alternative names, as claims the route rules match.
/// </summary>
internal sealed class ClientCertificateHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string MissingMessage = "a client certificate is required for this route; present one issued by a CA kedge trusts";

    private static readonly Asn1Tag DnsNameTag = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var certificate = Context.Connection.ClientCertificate;
        if (certificate is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim>();
        // Only real CN attributes (OID 2.5.4.3): GetNameInfo(SimpleName) would fall back to OU, O or a SAN.
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (!rdn.HasMultipleElements && rdn.GetSingleElementType().Value == "2.5.4.3" && rdn.GetSingleElementValue() is { Length: > 0 } commonName)
            {
                claims.Add(new Claim(KedgeAuthSchemes.CommonNameClaim, commonName));
            }
        }

        foreach (var (tag, value) in SubjectAlternativeNames(certificate))
        {
            claims.Add(new Claim(tag == DnsNameTag ? KedgeAuthSchemes.DnsNameClaim : KedgeAuthSchemes.UriClaim, value));
        }

        var identity = new ClaimsIdentity(claims, Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    /// <summary>The DNS and URI entries of the subject alternative name extension (RFC 5280 GeneralNames).</summary>
    internal static IEnumerable<(Asn1Tag Tag, string Value)> SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions["2.5.29.17"];
        if (extension is null)
        {
            return [];
        }

        var names = new List<(Asn1Tag, string)>();
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
            while (reader.HasData)
            {
                var tag = reader.PeekTag();
                if (tag == DnsNameTag || tag == UriTag)
                {
                    names.Add((tag, reader.ReadCharacterString(UniversalTagNumber.IA5String, tag)));
                }
                else
                {
                    reader.ReadEncodedValue();
                }
            }
        }
        catch (AsnContentException)
        {
            // A certificate the CA signed with a broken extension: it simply has no names to match.
            return [];
        }

        return names;
    }
}

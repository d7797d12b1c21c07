using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kedge.Common.Checks;
using Kedge.Common.Tls;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Settings;

namespace Kedge.Server.Checks;

/// <summary>
/// <c>kedge check</c>: the listener's certificate and key (they load and match, the chain, the names callers use,
/// expiry), the client CA bundle, and the backends' TLS files. Files are read with the loaders kedge serves with.
/// </summary>
internal static class CertificateChecks
{
    private const string Area = "certificates";

    public static IEnumerable<CheckDefinition> For(KedgeCheckContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var checks = new List<CheckDefinition>
        {
            new(Area, "server certificate", _ => Task.FromResult(ServerCertificate(context))),
        };
        var server = context.Settings.Server;
        // As the start's validator: without a TLS port the client CA files are not used, so not read.
        var tlsPorts = server.HttpTlsPort != 0 || server.GrpcTlsPort != 0;
        for (var i = 0; tlsPorts && i < server.TlsClientCaFiles.Count; i++)
        {
            var file = server.TlsClientCaFiles[i];
            checks.Add(CheckDefinition.Single(Area, $"client CA file {file}", _ => Task.FromResult(ClientCaFile(context, file))));
        }

        if (context.Routing is { } routing)
        {
            foreach (var (list, backends) in new[] { ("HttpBackends", routing.HttpBackends), ("GrpcBackends", routing.GrpcBackends) })
            {
                for (var i = 0; i < backends.Count; i++)
                {
                    if (backends[i].Tls is { } tls && (tls.CaFile is not null || tls.ClientCertificateFile is not null || tls.ClientKeyFile is not null))
                    {
                        var (backend, key) = (backends[i], $"{list}:{i}:Tls");
                        checks.Add(new CheckDefinition(Area, $"backend '{backend.Name}' TLS files", _ => Task.FromResult<IReadOnlyList<CheckResult>>(BackendTls(context, backend, tls, key))));
                    }
                }
            }
        }

        return checks;
    }

    private static IReadOnlyList<CheckResult> ServerCertificate(KedgeCheckContext context)
    {
        var server = context.Settings.Server;
        var certOrigin = Origin(context.Report, nameof(server.TlsCertFile));
        var keyOrigin = Origin(context.Report, nameof(server.TlsKeyFile));
        const string name = "server certificate";
        if (server.HttpTlsPort == 0 && server.GrpcTlsPort == 0)
        {
            return [CheckResult.Pass(Area, name, "no TLS port is enabled, so no server certificate is needed")];
        }

        if (server.TlsCertFile is not { } certFile || server.TlsKeyFile is not { } keyFile)
        {
            return [CheckResult.Fail(Area, name,
                $"the TLS ports are enabled but {(server.TlsCertFile is null ? certOrigin : keyOrigin)} is not set: kedge does not start without the certificate and key",
                $"give the PEM certificate and key with {certOrigin} and {keyOrigin} (a Kubernetes TLS secret's tls.crt and tls.key), or disable the TLS ports with --server_http_tls_port=0 --server_grpc_tls_port=0")];
        }

        byte[] certBytes, keyBytes;
        try
        {
            certBytes = File.ReadAllBytes(certFile);
            keyBytes = File.ReadAllBytes(keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [CheckResult.Fail(Area, name, $"cannot read the certificate ({certOrigin}: '{certFile}') or key ({keyOrigin}: '{keyFile}'): {ex.Message}",
                "give files that exist and that kedge's user may read")];
        }

        TlsCertificate? certificate = null;
        var file = new X509Certificate2Collection();
        try
        {
            return ServerCertificateLines(context, certBytes, keyBytes, certFile, keyFile, certOrigin, keyOrigin, ref certificate, file);
        }
        finally
        {
            Release(certificate);
            Release(file);
        }
    }

    /// <summary>The server certificate's lines once the files are read; what it loads goes to <paramref name="certificate"/> and <paramref name="file"/>, which the caller disposes.</summary>
    private static IReadOnlyList<CheckResult> ServerCertificateLines(KedgeCheckContext context, byte[] certBytes, byte[] keyBytes, string certFile, string keyFile, string certOrigin, string keyOrigin,
        ref TlsCertificate? certificate, X509Certificate2Collection file)
    {
        const string name = "server certificate";
        if (Problem(certBytes, keyBytes, certFile, keyFile, certOrigin, keyOrigin) is { } problem)
        {
            return [problem];
        }

        try
        {
            certificate = TlsCertificate.ServerFromPem(certBytes, keyBytes, certFile);
        }
        catch (CryptographicException ex)
        {
            return [CheckResult.Fail(Area, name, $"'{certFile}' and '{keyFile}' could not be loaded as a PEM pair: {ex.Message}",
                "give the PEM certificate (leaf first, then intermediates) and its unencrypted PEM private key")];
        }
        catch (InvalidDataException ex)
        {
            return [CheckResult.Fail(Area, name, ex.Message, "issue the server certificate with the serverAuth extended key usage")];
        }

        file.ImportFromPem(Encoding.ASCII.GetString(certBytes));
        var leaf = certificate.Leaf;
        var intermediates = file.Count - 1;
        return
        [
            CheckResult.Pass(Area, name, $"'{leaf.Subject}' from '{certFile}' ({certOrigin}), {intermediates} intermediate{(intermediates == 1 ? string.Empty : "s")} with it; the key in '{keyFile}' matches"),
            Chain(context, leaf, file, certFile),
            .. Names(context, leaf),
            Expiry(context, "server certificate expiry", [.. file], certFile, "renew the certificate (cert-manager renews before expiry) and replace the files; kedge reloads them without a restart"),
        ];
    }

    /// <summary>What is wrong with a pair the loader refuses, said precisely: no certificate, no key, or a key that does not match.</summary>
    private static CheckResult? Problem(byte[] certBytes, byte[] keyBytes, string certFile, string keyFile, string certOrigin, string keyOrigin)
    {
        var certs = new X509Certificate2Collection();
        try
        {
            return KeyProblem(certBytes, keyBytes, certFile, keyFile, certOrigin, keyOrigin, certs);
        }
        finally
        {
            Release(certs);
        }
    }

    private static CheckResult? KeyProblem(byte[] certBytes, byte[] keyBytes, string certFile, string keyFile, string certOrigin, string keyOrigin, X509Certificate2Collection certs)
    {
        const string name = "server certificate";
        try
        {
            certs.ImportFromPem(Encoding.ASCII.GetString(certBytes));
        }
        catch (CryptographicException ex)
        {
            return CheckResult.Fail(Area, name, $"'{certFile}' ({certOrigin}) is not a readable PEM certificate: {ex.Message}", "give the PEM certificate: the leaf first, then its intermediates");
        }

        if (certs.Count == 0)
        {
            var text = Encoding.ASCII.GetString(certBytes);
            return text.Contains("-----END CERTIFICATE----------BEGIN", StringComparison.Ordinal)
                ? CheckResult.Fail(Area, name, $"'{certFile}' ({certOrigin}) holds certificates glued together without a line break between '-----END CERTIFICATE-----' and the next '-----BEGIN', which PEM readers refuse",
                    "put each certificate on its own lines (a file concatenated from one without a final newline does this)")
                : CheckResult.Fail(Area, name, $"'{certFile}' ({certOrigin}) holds no readable 'BEGIN CERTIFICATE' block", "give the PEM certificate: the leaf first, then its intermediates");
        }

        var keyText = Encoding.ASCII.GetString(keyBytes);
        byte[]? publicKey = null;
        foreach (var algorithm in new Func<AsymmetricAlgorithm>[] { ECDsa.Create, RSA.Create })
        {
            using var key = algorithm();
            try
            {
                key.ImportFromPem(keyText);
                publicKey = key.ExportSubjectPublicKeyInfo();
                break;
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                // Not this algorithm (or not a key at all): try the next one.
            }
        }

        if (publicKey is null)
        {
            return CheckResult.Fail(Area, name, $"'{keyFile}' ({keyOrigin}) holds no unencrypted PEM private key (RSA or ECDSA) kedge can read",
                "give the private key as PEM ('BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY' or 'BEGIN EC PRIVATE KEY'), not encrypted");
        }

        if (!certs[0].PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(publicKey))
        {
            return CheckResult.Fail(Area, name,
                $"the key in '{keyFile}' ({keyOrigin}) does not match the certificate '{certs[0].Subject}' in '{certFile}' ({certOrigin}): they are from different pairs",
                "give the key the certificate was issued for (both from the same Kubernetes TLS secret, or re-issue the certificate for this key)");
        }

        return null;
    }

    /// <summary>
    /// The chain built from the intermediates in the file (and, to find a private root, a <c>ca.crt</c> beside it and the
    /// client CA files), against this machine's trust store.
    /// </summary>
    private static CheckResult Chain(KedgeCheckContext context, X509Certificate2 leaf, X509Certificate2Collection file, string certFile)
    {
        var candidates = new List<(X509Certificate2 Certificate, string From, bool Declared)>();
        candidates.AddRange(file.Skip(1).Select(c => (c, $"'{certFile}'", false)));
        var sibling = Path.Combine(Path.GetDirectoryName(certFile) ?? string.Empty, "ca.crt");
        foreach (var (path, from) in new[] { (sibling, $"'{sibling}'") }.Concat(context.Settings.Server.TlsClientCaFiles.Select(f => (f, $"the client CA file '{f}'"))))
        {
            try
            {
                if (File.Exists(path))
                {
                    candidates.AddRange(TrustBundle.Load([path]).Certificates.Select(c => (c, from, true)));
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // Only a place to look for the root: the client CA check reports a file that does not load.
            }
        }

        using var chain = new X509Chain();
        try
        {
            return ChainLine(context, leaf, file, certFile, sibling, candidates, chain);
        }
        finally
        {
            Release(candidates.Where(c => c.Declared).Select(c => c.Certificate));
            Release(chain.ChainElements.Select(e => e.Certificate));
        }
    }

    private static CheckResult ChainLine(KedgeCheckContext context, X509Certificate2 leaf, X509Certificate2Collection file, string certFile, string sibling,
        List<(X509Certificate2 Certificate, string From, bool Declared)> candidates, X509Chain chain)
    {
        const string name = "server certificate chain";
        // kedge serves only the file's certificates (and never fetches issuers): the chain may use the file's
        // intermediates and nothing else, and roots only from the other files.
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = context.TimeProvider.GetUtcNow().UtcDateTime;
        // Expiry has its own line.
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreNotTimeValid | X509VerificationFlags.IgnoreCtlNotTimeValid | X509VerificationFlags.IgnoreNotTimeNested;
        chain.ChainPolicy.ExtraStore.AddRange(candidates.Where(c => !c.Declared || IsSelfIssued(c.Certificate)).Select(c => c.Certificate).ToArray());
        var built = chain.Build(leaf);
        var elements = chain.ChainElements.Select(e => e.Certificate).ToList();
        var chainText = string.Join(" → ", elements.Select(c => $"'{c.Subject}'"));
        var top = elements[^1];
        var statuses = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).ToHashSet();
        if (built)
        {
            return CheckResult.Pass(Area, name, $"{chainText}, a root this machine trusts");
        }

        var other = statuses.Except([X509ChainStatusFlags.UntrustedRoot, X509ChainStatusFlags.PartialChain, X509ChainStatusFlags.NotTimeValid, X509ChainStatusFlags.NotTimeNested, X509ChainStatusFlags.RevocationStatusUnknown, X509ChainStatusFlags.OfflineRevocation]).ToList();
        if (other.Count > 0)
        {
            var details = string.Join("; ", chain.ChainStatus.Where(s => other.Contains(s.Status)).Select(s => s.StatusInformation.Trim()).Distinct(StringComparer.Ordinal));
            return CheckResult.Fail(Area, name, $"{chainText}: the chain is invalid ({string.Join(", ", other)}: {details})",
                "re-issue the certificate from a CA whose chain is valid, and put the leaf and its intermediates in the file");
        }

        if (IsSelfIssued(top))
        {
            var declared = candidates.Where(c => c.Declared).FirstOrDefault(c => c.Certificate.RawDataMemory.Span.SequenceEqual(top.RawDataMemory.Span)).From;
            if (declared is not null)
            {
                // A private PKI the operator set up on purpose: the root is the secret's ca.crt or the CA callers' own
                // certificates come from. Worth saying, not worth a warning on every private-PKI kedge.
                return CheckResult.Pass(Area, name,
                    $"{chainText}, a private root (from {declared}) this machine does not trust: callers must trust '{top.Subject}' (Kedge.Client: KedgeCaFiles)");
            }

            var where = elements.Count == 1 ? "the certificate itself: it is self-signed" : $"'{certFile}'";
            return CheckResult.Warn(Area, name,
                $"{chainText}: the root '{top.Subject}' (from {where}) is not one this machine trusts, so callers must trust it themselves",
                $"give callers '{top.Subject}' as their kedge CA (Kedge.Client: KedgeCaFiles; winch: its CA file), or use a certificate from a CA their systems trust (a private CA's root as ca.crt beside '{Path.GetFileName(certFile)}' marks it as intended)");
        }

        // The missing issuer is an intermediate kept beside the certificate, not in it: callers never get it.
        if (candidates.FirstOrDefault(c => c.Declared && !IsSelfIssued(c.Certificate) && c.Certificate.SubjectName.RawData.AsSpan().SequenceEqual(top.IssuerName.RawData)) is { Certificate: not null } kept)
        {
            return CheckResult.Fail(Area, name,
                $"{chainText}: the intermediate '{top.Issuer}' is in {kept.From} but not in '{certFile}': kedge serves only '{certFile}', so callers get an incomplete chain",
                $"add the intermediate '{top.Issuer}' to '{certFile}' after '{top.Subject}' (the leaf first, then each issuer in turn)");
        }

        // The chain stops at a certificate whose issuer is nowhere to be found.
        var unused = file.Skip(1).Where(c => !elements.Any(e => e.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span))).ToList();
        if (unused.Count > 0)
        {
            return CheckResult.Fail(Area, name,
                $"{chainText}: the issuer '{top.Issuer}' of '{top.Subject}' is missing, so {string.Join(", ", unused.Select(c => $"'{c.Subject}'"))} in '{certFile}' cannot be reached: callers get an incomplete chain",
                $"add the intermediate '{top.Issuer}' to '{certFile}' after '{top.Subject}' (the leaf first, then each issuer in turn)");
        }

        return CheckResult.Warn(Area, name,
            $"{chainText}: the chain stops there; its issuer '{top.Issuer}' is in neither '{certFile}', '{sibling}', the client CA files nor this machine's trust store. Callers must trust '{top.Issuer}' themselves, and if it is an intermediate, they cannot build the chain",
            $"if '{top.Issuer}' is an intermediate, add it to '{certFile}' after the leaf; give callers the root as their kedge CA (Kedge.Client: KedgeCaFiles)");
    }

    /// <summary>The names the certificate covers, and whether it covers each name callers use (<c>--expect_name</c>).</summary>
    private static IEnumerable<CheckResult> Names(KedgeCheckContext context, X509Certificate2 leaf)
    {
        var (dns, ips) = SubjectAlternativeNames(leaf);
        var listed = string.Join(", ", dns.Select(d => "DNS:" + d).Concat(ips.Select(i => "IP:" + i)));
        if (dns.Count == 0 && ips.Count == 0)
        {
            yield return CheckResult.Warn(Area, "server certificate names",
                $"'{leaf.Subject}' has no DNS or IP subject alternative name: TLS clients (Go, .NET, browsers) do not read the subject's CN, so no name matches it",
                "re-issue the certificate with the names callers use as DNS subject alternative names (cert-manager: dnsNames)");
        }
        else
        {
            yield return CheckResult.Pass(Area, "server certificate names", listed);
        }

        foreach (var expected in context.ExpectedNames)
        {
            var match = Covering(expected, dns, ips);
            yield return match is not null
                ? CheckResult.Pass(Area, $"name {expected}", $"covered by {match}")
                : CheckResult.Fail(Area, $"name {expected}",
                    $"the server certificate does not cover '{expected}' (its names: {(listed.Length == 0 ? "none" : listed)}): callers using it fail the TLS name check",
                    $"re-issue the certificate with '{expected}' as a {(IPAddress.TryParse(expected, out _) ? "IP" : "DNS")} subject alternative name{(expected.StartsWith("*.", StringComparison.Ordinal) ? " (a wildcard name is covered only by the same wildcard)" : " (or a wildcard '*.' + its parent domain)")}");
        }
    }

    /// <summary>
    /// The SAN that covers <paramref name="expected"/> as TLS clients match it: names case-insensitively, a wildcard
    /// only as the whole first label and for exactly one label (<c>*.a.b</c> covers <c>x.a.b</c>, not <c>a.b</c> nor
    /// <c>y.x.a.b</c>); an IP address only by an IP SAN. An expected wildcard name (the names callers make up under a
    /// domain) is covered only by the same wildcard.
    /// </summary>
    internal static string? Covering(string expected, IReadOnlyList<string> dns, IReadOnlyList<IPAddress> ips)
    {
        if (IPAddress.TryParse(expected.Trim('[', ']'), out var address))
        {
            return ips.FirstOrDefault(ip => ip.Equals(address)) is { } ip ? "IP:" + ip : null;
        }

        var name = expected.TrimEnd('.');
        foreach (var san in dns)
        {
            var pattern = san.TrimEnd('.');
            if (string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase))
            {
                return "DNS:" + san;
            }

            if (pattern.StartsWith("*.", StringComparison.Ordinal) && !name.StartsWith("*.", StringComparison.Ordinal)
                && name.IndexOf('.', StringComparison.Ordinal) is var dot && dot > 0
                && string.Equals(name[(dot + 1)..], pattern[2..], StringComparison.OrdinalIgnoreCase)
                && pattern[2..].Contains('.', StringComparison.Ordinal))
            {
                return "DNS:" + san;
            }
        }

        return null;
    }

    internal static (List<string> Dns, List<IPAddress> Ips) SubjectAlternativeNames(X509Certificate2 certificate)
    {
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            dns.AddRange(extension.EnumerateDnsNames());
            ips.AddRange(extension.EnumerateIPAddresses());
        }

        return (dns, ips);
    }

    /// <summary>One line for the earliest-expiring of <paramref name="certificates"/>, by <see cref="CertificateExpiryRule"/>.</summary>
    private static CheckResult Expiry(KedgeCheckContext context, string name, IReadOnlyList<X509Certificate2> certificates, string file, string fix)
    {
        var now = context.TimeProvider.GetUtcNow();
        foreach (var certificate in certificates)
        {
            var (notBefore, notAfter) = (CertificateExpiryRule.NotBefore(certificate), CertificateExpiryRule.NotAfter(certificate));
            switch (CertificateExpiryRule.Classify(certificate, now))
            {
                case CertificateExpiryState.Expired:
                    return CheckResult.Fail(Area, name, $"'{certificate.Subject}' in '{file}' expired {Date(notAfter)} ({CertificateExpiryRule.Span(now - notAfter)} ago): TLS clients refuse it", fix);
                case CertificateExpiryState.NotYetValid:
                    return CheckResult.Fail(Area, name, $"'{certificate.Subject}' in '{file}' is not valid before {Date(notBefore)} (in {CertificateExpiryRule.Span(notBefore - now)}): TLS clients refuse it",
                        "check this machine's clock, or use a certificate that is valid now");
            }
        }

        var soonest = certificates.OrderBy(CertificateExpiryRule.NotAfter).First();
        var expires = CertificateExpiryRule.NotAfter(soonest);
        var found = $"'{soonest.Subject}' in '{file}' expires {Date(expires)} (in {CertificateExpiryRule.Span(expires - now)})";
        return CertificateExpiryRule.Classify(soonest, now) == CertificateExpiryState.ExpiresSoon
            ? CheckResult.Warn(Area, name, $"{found}, {CertificateExpiryRule.WarnWithinText}", fix)
            : CheckResult.Pass(Area, name, certificates.Count > 1 ? found + $", the first of the {certificates.Count} in the file" : found);
    }

    private static CheckResult ClientCaFile(KedgeCheckContext context, string file)
    {
        var name = $"client CA file {file}";
        var origin = Origin(context.Report, nameof(KedgeServerSettings.TlsClientCaFiles));
        TrustBundle bundle;
        try
        {
            bundle = TrustBundle.Load([file]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return CheckResult.Fail(Area, name, $"{origin}: cannot read '{file}': {ex.Message}", "give a CA file that exists and that kedge's user may read");
        }
        catch (InvalidDataException ex)
        {
            return CheckResult.Fail(Area, name, $"{origin}: {ex.Message}", "give the PEM certificates of the CAs that issue your callers' client certificates");
        }

        try
        {
            var server = context.Settings.Server;
            var expiry = Expiry(context, name, [.. bundle.Certificates], file, "renew the CA (and the client certificates it issued) before callers are refused, and replace the file; kedge reloads it");
            var summary = $"{bundle.Certificates.Count} CA{(bundle.Certificates.Count == 1 ? string.Empty : "s")} ({string.Join(", ", bundle.Certificates.Select(c => $"'{c.Subject}' until {Date(CertificateExpiryRule.NotAfter(c))}"))}); client certificates {(server.TlsClientCertRequired ? "required" : "optional (verified when given)")}";
            return expiry.Status == CheckStatus.Pass ? CheckResult.Pass(Area, name, summary) : expiry with { Found = expiry.Found + "; " + summary };
        }
        finally
        {
            Release(bundle.Certificates);
        }
    }

    private static List<CheckResult> BackendTls(KedgeCheckContext context, BackendOptions backend, BackendTlsOptions tls, string key)
    {
        var name = $"backend '{backend.Name}' TLS files";
        string Where(string field) => context.RoutingOrigin?.Locate($"{key}:{field}") ?? $"{context.RoutingSource}: {key}:{field}";
        var lines = new List<CheckResult>();
        var facts = new List<string>();
        if (tls.CaFile is { } caFile)
        {
            try
            {
                var bundle = TrustBundle.Load([caFile]);
                try
                {
                    var expiry = Expiry(context, name, [.. bundle.Certificates], caFile, $"renew the backend CA and replace '{caFile}'");
                    if (expiry.Status != CheckStatus.Pass)
                    {
                        lines.Add(expiry);
                    }

                    facts.Add($"CA '{caFile}' ({bundle.Certificates.Count} CA{(bundle.Certificates.Count == 1 ? string.Empty : "s")})");
                }
                finally
                {
                    Release(bundle.Certificates);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                lines.Add(CheckResult.Fail(Area, name, $"{Where("CaFile")}: '{caFile}' does not load: {ex.Message}", "give the PEM CA file the backend's certificate chains to"));
            }
        }

        if (tls.ClientCertificateFile is not null || tls.ClientKeyFile is not null)
        {
            if (tls.ClientCertificateFile is not { } certFile || tls.ClientKeyFile is not { } keyFile)
            {
                lines.Add(CheckResult.Fail(Area, name, $"{Where(tls.ClientCertificateFile is null ? "ClientCertificateFile" : "ClientKeyFile")} is not set: a client certificate needs both files",
                    "give both the PEM client certificate and its key"));
            }
            else
            {
                TlsCertificate? certificate = null;
                var file = new X509Certificate2Collection();
                try
                {
                    certificate = TlsCertificate.FromPem(File.ReadAllBytes(certFile), File.ReadAllBytes(keyFile));
                    if (!certificate.AllowsClientAuthentication)
                    {
                        lines.Add(CheckResult.Fail(Area, name, $"{Where("ClientCertificateFile")}: '{certificate.Leaf.Subject}' in '{certFile}' has an Extended Key Usage without Client Authentication: the backend refuses it",
                            "issue the client certificate with the clientAuth extended key usage"));
                    }

                    file.ImportFromPem(File.ReadAllText(certFile));
                    var expiry = Expiry(context, name, [.. file], certFile, $"renew the client certificate and replace '{certFile}' and '{keyFile}'");
                    if (expiry.Status != CheckStatus.Pass)
                    {
                        lines.Add(expiry);
                    }

                    facts.Add($"client certificate '{certificate.Leaf.Subject}' ('{certFile}', key '{keyFile}' matches)");
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
                {
                    lines.Add(CheckResult.Fail(Area, name, $"{Where("ClientCertificateFile")} / {Where("ClientKeyFile")}: '{certFile}' and '{keyFile}' do not load as a matching PEM pair: {ex.Message}",
                        "give the PEM client certificate and the key it was issued for"));
                }
                finally
                {
                    Release(certificate);
                    Release(file);
                }
            }
        }

        if (lines.Count == 0)
        {
            lines.Add(CheckResult.Pass(Area, name, string.Join("; ", facts) + " load"));
        }

        return lines;
    }

    /// <summary>
    /// Disposes what a <see cref="TlsCertificate"/> holds (the leaf and the context's certificates): the shared type is not
    /// disposable, and a check's certificates live only as long as the check.
    /// </summary>
    private static void Release(TlsCertificate? certificate)
    {
        if (certificate is not null)
        {
            Release([certificate.Leaf, certificate.Context.TargetCertificate, .. certificate.Context.IntermediateCertificates]);
        }
    }

    private static void Release(IEnumerable<X509Certificate2> certificates)
    {
        foreach (var certificate in certificates)
        {
            certificate.Dispose();
        }
    }

    private static bool IsSelfIssued(X509Certificate2 certificate) => certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    private static string Origin(KedgeSettingsReport report, string key) => report.Origin(KedgeSettingCatalog.All.First(s => s.Section == "Server" && s.Key == key));

    private static string Date(DateTimeOffset when) => CertificateExpiryRule.Date(when);
}

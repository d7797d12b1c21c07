using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kedge.Common.Checks;
using Kedge.Common.Tls;
using Kedge.Server.Backends;

namespace Kedge.Server.Checks;

/// <summary>
/// Probes one endpoint of a backend, each step under one budget (<c>--timeout</c>): TCP connect; for a TLS backend a
/// handshake with kedge's own TLS options for the backend and the name check; with a probe path, a GET through kedge's
/// handler. ✘ on a refused or silent connect, a failed handshake (naming the name, the chain or the silence), a 5xx or
/// no answer; ⚠ on a 4xx.
/// </summary>
internal static class EndpointProbe
{
    /// <summary>How long a TLS 1.3 server is given to refuse the client certificate after the handshake.</summary>
    private static readonly TimeSpan PostHandshakeWait = TimeSpan.FromMilliseconds(250);

    public static async Task<CheckResult> RunAsync(EndpointProbeTarget target, BackendEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var name = $"{target.LineName} {endpoint.Authority}";
        using var budget = new CancellationTokenSource(timeout, target.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(budget.Token, cancellationToken);
        var token = linked.Token;
        var step = "TCP connect";
        try
        {
            using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
            {
                // Closing the socket ends a connect or handshake that ignores the token.
                await using var abort = token.Register(() => socket.Dispose());
                await socket.ConnectAsync(Target(endpoint), token);
                if (target.Tls is not null)
                {
                    step = "TLS handshake";
                    if (target.TlsSetupError is { } setupError)
                    {
                        return CheckResult.Fail(BackendChecks.Area, name, $"TCP connects, but kedge cannot set up TLS for the backend: {setupError}",
                            $"fix the TLS files (CaFile, ClientCertificateFile, ClientKeyFile) of {target.Where}");
                    }

                    if (await HandshakeAsync(target, endpoint, new NetworkStream(socket, ownsSocket: false), token) is { } failed)
                    {
                        return CheckResult.Fail(BackendChecks.Area, name, failed.Found, failed.Fix);
                    }
                }
            }

            if (target.ProbePath is { } path && target.Invoker is { } invoker)
            {
                step = "GET " + path;
                return await ProbeHttpAsync(target, invoker, endpoint, path, name, token);
            }

            return CheckResult.Pass(BackendChecks.Area, name, endpoint.Authority);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (budget.IsCancellationRequested || ex is OperationCanceledException))
        {
            var silent = step switch
            {
                "TCP connect" => ($"TCP connect got no answer within {BackendCheck.Format(timeout)}", $"check that something listens on {endpoint.Authority} and no firewall drops the packets; or fix the address of {target.Where}"),
                "TLS handshake" => ($"TCP connects, but the TLS handshake got no answer within {BackendCheck.Format(timeout)}", $"check the endpoint speaks TLS on this port (a plain-text backend must have no Tls section in {target.Where}), or that the backend is not stuck"),
                _ => ($"{step} got no answer within {BackendCheck.Format(timeout)}", $"check why the backend does not answer {step} on {endpoint.Authority}, or give the checks more time with --timeout"),
            };
            return CheckResult.Fail(BackendChecks.Area, name, silent.Item1, silent.Item2);
        }
        catch (SocketException ex) when (step == "TCP connect")
        {
            var found = ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "TCP connect refused: nothing listens on that port",
                SocketError.HostNotFound => $"the name '{endpoint.Host}' does not resolve",
                SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"TCP connect failed: no route to {endpoint.Host}",
                _ => $"TCP connect failed: {ex.Message}",
            };
            return CheckResult.Fail(BackendChecks.Area, name, found, $"start the backend on {endpoint.Authority}, or fix the address of {target.Where}");
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            return CheckResult.Fail(BackendChecks.Area, name, $"{step} failed: {CheckRunner.Innermost(ex).Message}",
                $"check the backend on {endpoint.Authority} ({target.Where})");
        }
    }

    private static EndPoint Target(BackendEndpoint endpoint)
        => IPAddress.TryParse(endpoint.Host, out var address) ? new IPEndPoint(address, endpoint.Port) : new DnsEndPoint(endpoint.Host, endpoint.Port);

    /// <summary>The handshake kedge would make: its options, SNI as kedge sends it; null when it succeeds.</summary>
    private static async Task<(string Found, string Fix)?> HandshakeAsync(EndpointProbeTarget target, BackendEndpoint endpoint, NetworkStream network, CancellationToken token)
    {
        var kedge = target.KedgeSsl!;
        var sni = target.Names.Count > 0 ? target.Names[0] : endpoint.Host;
        X509Certificate2? presented = null;
        var accepted = false;
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = sni,
            // What kedge's handler offers: an HTTP/2-only TLS backend (every gRPC one) closes a connection without h2.
            ApplicationProtocols = target.IsGrpc ? [SslApplicationProtocol.Http2] : [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
            EnabledSslProtocols = kedge.EnabledSslProtocols,
            CertificateRevocationCheckMode = kedge.CertificateRevocationCheckMode,
            LocalCertificateSelectionCallback = kedge.LocalCertificateSelectionCallback,
            ClientCertificates = kedge.ClientCertificates,
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
            {
                // A copy: SslStream disposes the certificate it passes once the handshake is over.
                presented?.Dispose();
                presented = certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                accepted = target.Names.Count == 0 && !target.Tls!.InsecureSkipVerify
                    // No fixed name (routes match any host): kedge checks the caller's Host; here, the chain only.
                    ? presented is not null && CertificateChains.Build(presented, chain, target.Trust)
                    : kedge.RemoteCertificateValidationCallback!(sender, certificate, chain, errors);
                return accepted;
            },
        };

        await using var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            try
            {
                await ssl.AuthenticateAsClientAsync(options, token);
            }
            catch (AuthenticationException ex)
            {
                // kedge took the backend's certificate, so the backend ended the handshake: it refused kedge's.
                return accepted ? Refused(target, ssl, CheckRunner.Innermost(ex).Message)
                    : presented is not null ? Explain(target, presented)
                    : IsNotTls(ex)
                        ? ("TCP connects, but the endpoint does not answer TLS (plain text on this port?)", $"check the endpoint speaks TLS on this port (a plain-text backend must have no Tls section in {target.Where})")
                        : ($"the TLS handshake failed: {CheckRunner.Innermost(ex).Message}", $"check the backend's TLS setup and the client certificate of {target.Where}");
            }

            if (await RefusedAfterHandshakeAsync(ssl, target, token) is { } refused)
            {
                return refused;
            }

            // Other names the routes send: the same certificate must carry them.
            if (!target.Tls!.InsecureSkipVerify && presented is not null && target.Names.Skip(1).FirstOrDefault(n => !Matches(presented, n)) is { } uncovered)
            {
                return NameMismatch(target, presented, uncovered);
            }

            return null;
        }
        finally
        {
            presented?.Dispose();
        }
    }

    /// <summary>
    /// A server checks the client certificate after the client considers the handshake done (TLS 1.3 by design; TLS 1.2
    /// servers on OpenSSL too) and answers a refusal with an alert or a close: a short read shows it. Silence (or data,
    /// such as an HTTP/2 server's SETTINGS) within the wait means the server took the handshake.
    /// </summary>
    private static async Task<(string Found, string Fix)?> RefusedAfterHandshakeAsync(SslStream ssl, EndpointProbeTarget target, CancellationToken token)
    {
        using var grace = new CancellationTokenSource(PostHandshakeWait, target.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(grace.Token, token);
        try
        {
            var read = await ssl.ReadAsync(new byte[1], linked.Token);
            return read == 0 ? Refused(target, ssl, "it closed the connection at once") : null;
        }
        catch (OperationCanceledException) when (grace.IsCancellationRequested && !token.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException)
        {
            return Refused(target, ssl, CheckRunner.Innermost(ex).Message);
        }
    }

    /// <summary>The backend ended a handshake whose certificate kedge took: it refused kedge's client certificate (or its absence).</summary>
    private static (string Found, string Fix) Refused(EndpointProbeTarget target, SslStream ssl, string how)
    {
        var sent = LocalCertificate(ssl) is { } local ? $"kedge sent the client certificate '{local.Subject}' from '{target.Tls!.ClientCertificateFile}'"
            : target.Tls!.ClientCertificateFile is { } file ? $"kedge has the client certificate from '{file}'"
            : "kedge sent no client certificate";
        var fix = target.Tls!.ClientCertificateFile is null
            ? $"give kedge a client certificate the backend accepts: Tls.ClientCertificateFile and Tls.ClientKeyFile of {target.Where}"
            : $"give kedge a client certificate the backend accepts (from a CA the backend trusts) in Tls.ClientCertificateFile and Tls.ClientKeyFile of {target.Where}";
        return ($"the backend refused the TLS handshake: client certificate refused, {how} ({sent})", fix);
    }

    /// <summary>The certificate kedge sent; null when none, or when a failed handshake leaves the stream unreadable.</summary>
    private static X509Certificate? LocalCertificate(SslStream ssl)
    {
        try
        {
            return ssl.LocalCertificate;
        }
        catch (Exception ex) when (ex is InvalidOperationException or AuthenticationException or IOException)
        {
            return null;
        }
    }

    /// <summary>What SslStream says when the peer's first answer is not a TLS record (a plain-text server's reply).</summary>
    private static bool IsNotTls(AuthenticationException exception)
        => CheckRunner.Innermost(exception).Message.Contains("frame", StringComparison.OrdinalIgnoreCase);

    private static (string Found, string Fix) Explain(EndpointProbeTarget target, X509Certificate2 leaf)
    {
        if (target.Names.FirstOrDefault(n => !Matches(leaf, n)) is { } uncovered)
        {
            return NameMismatch(target, leaf, uncovered);
        }

        var now = target.TimeProvider.GetUtcNow();
        if (leaf.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            return ($"the backend's certificate ({leaf.Subject}) expired on {leaf.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC", "renew the backend's certificate");
        }

        if (leaf.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            return ($"the backend's certificate ({leaf.Subject}) is not valid before {leaf.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC", "check the clocks, or wait until the certificate is valid");
        }

        var roots = target.Tls!.CaFile is { } caFile ? $"the CA file '{caFile}'" : "the system's roots";
        return ($"the backend's certificate ({leaf.Subject}, issued by {leaf.Issuer}) does not chain to {roots}",
            target.Tls.CaFile is null
                ? $"set Tls.CaFile of {target.Where} to the CA that issued the backend's certificate"
                : $"set Tls.CaFile of {target.Where} to the CA that issued the backend's certificate ({leaf.Issuer}), or give the backend a certificate from the CA in '{target.Tls.CaFile}'");
    }

    private static (string Found, string Fix) NameMismatch(EndpointProbeTarget target, X509Certificate2 leaf, string name)
    {
        var origin = target.Tls!.ServerName is { Length: > 0 } ? "its Tls.ServerName" : "the Host of the routes that use it";
        return ($"the backend's certificate does not cover '{name}' ({origin}); it covers {Covered(leaf)}",
            $"give the backend a certificate with '{name}' in its subject alternative names, or set Tls.ServerName of {target.Where} to a name it covers");
    }

    private static bool Matches(X509Certificate2 leaf, string name)
        => leaf.MatchesHostname(name.StartsWith('[') ? name.Trim('[', ']') : name);

    private static string Covered(X509Certificate2 leaf)
    {
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var names = san is null ? [] : san.EnumerateDnsNames().Concat(san.EnumerateIPAddresses().Select(a => a.ToString())).ToList();
        return names.Count > 0 ? string.Join(", ", names) : $"no subject alternative name (subject {leaf.Subject})";
    }

    private static async Task<CheckResult> ProbeHttpAsync(EndpointProbeTarget target, HttpMessageInvoker invoker, BackendEndpoint endpoint, string path, string name, CancellationToken token)
    {
        var prefix = (target.Tls is null ? "http://" : "https://") + endpoint.Authority;
        using var request = new HttpRequestMessage(HttpMethod.Get, prefix + (path.StartsWith('/') ? path : "/" + path))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (target.Names.Count > 0)
        {
            // Kedge sends the caller's Host (and so SNI); the route's host is what callers send.
            request.Headers.Host = target.Names[0];
        }

        try
        {
            using var response = await invoker.SendAsync(request, token);
            var status = (int)response.StatusCode;
            var found = $"{endpoint.Authority} GET {path}: {status} {response.ReasonPhrase}";
            return status switch
            {
                >= 500 => CheckResult.Fail(BackendChecks.Area, name, found, $"look at the backend's logs on {endpoint.Authority}: it fails on GET {path}"),
                >= 400 => CheckResult.Warn(BackendChecks.Area, name, found, $"check --probe_path={path} is a path the backend serves without credentials"),
                _ => CheckResult.Pass(BackendChecks.Area, name, $"{endpoint.Authority} ({status})"),
            };
        }
        catch (HttpRequestException ex)
        {
            return CheckResult.Fail(BackendChecks.Area, name, $"GET {path} got no answer: {CheckRunner.Innermost(ex).Message}",
                $"check the backend on {endpoint.Authority} answers HTTP{(target.Tls is null ? string.Empty : "S")} ({target.Where})");
        }
    }
}

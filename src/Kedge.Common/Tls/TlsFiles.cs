using Kedge.Common.Files;

namespace Kedge.Common.Tls;

/// <summary>
/// The one certificate and CA-bundle loader of the kedge products. Every file is re-read by content (Kubernetes secret
/// <c>..data</c> swaps included) at most once per check interval (<see cref="DefaultCheckInterval"/> unless a product
/// setting says otherwise); a change that cannot be loaded keeps the last good value and is reported to the caller's
/// log callback; new connections use a new value, open ones keep theirs. Infrastructure shared by the kedge products.
/// </summary>
public static class TlsFiles
{
    /// <summary>How often certificate and CA files are checked for changes by default: 2 seconds.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(2);

    /// <summary>A PEM certificate and key pair that follows changes of its files.</summary>
    /// <param name="certificateFile">The PEM certificate file (leaf first, then intermediates).</param>
    /// <param name="keyFile">The PEM private key file.</param>
    /// <param name="forServer">Whether the certificate serves TLS: one whose Extended Key Usage lacks serverAuth is refused.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="onChanged">Logs a loaded change.</param>
    /// <param name="onReloadFailed">Logs a change that could not be loaded (the last good certificate stays).</param>
    /// <param name="checkInterval">How often the files are checked; default <see cref="DefaultCheckInterval"/>.</param>
    /// <returns>The snapshot; nothing is read until its first <see cref="FileSnapshot{T}.GetCurrent"/>.</returns>
    public static FileSnapshot<TlsCertificate> WatchCertificate(
        string certificateFile,
        string keyFile,
        bool forServer,
        TimeProvider timeProvider,
        Action<TlsCertificate> onChanged,
        Action<Exception> onReloadFailed,
        TimeSpan? checkInterval = null)
        => new(
            [certificateFile, keyFile],
            forServer
                ? contents => TlsCertificate.ServerFromPem(contents[0], contents[1], certificateFile)
                : contents => TlsCertificate.FromPem(contents[0], contents[1]),
            checkInterval ?? DefaultCheckInterval,
            timeProvider,
            onChanged,
            onReloadFailed);

    /// <summary>A PKCS#12 (PFX) client certificate that follows changes of its file.</summary>
    /// <param name="pfxFile">The PFX file.</param>
    /// <param name="password">Its password; null when it has none.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="onChanged">Logs a loaded change.</param>
    /// <param name="onReloadFailed">Logs a change that could not be loaded (the last good certificate stays).</param>
    /// <param name="checkInterval">How often the file is checked; default <see cref="DefaultCheckInterval"/>.</param>
    /// <returns>The snapshot; nothing is read until its first <see cref="FileSnapshot{T}.GetCurrent"/>.</returns>
    public static FileSnapshot<TlsCertificate> WatchPkcs12(
        string pfxFile,
        string? password,
        TimeProvider timeProvider,
        Action<TlsCertificate> onChanged,
        Action<Exception> onReloadFailed,
        TimeSpan? checkInterval = null)
        => new([pfxFile], contents => TlsCertificate.FromPkcs12(contents[0], password), checkInterval ?? DefaultCheckInterval, timeProvider, onChanged, onReloadFailed);

    /// <summary>A CA bundle that follows changes of its files; an empty or unreadable bundle is refused.</summary>
    /// <param name="paths">The CA files.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="onChanged">Logs a loaded change.</param>
    /// <param name="onReloadFailed">Logs a change that could not be loaded (the last good bundle stays).</param>
    /// <param name="checkInterval">How often the files are checked; default <see cref="DefaultCheckInterval"/>.</param>
    /// <returns>The snapshot; nothing is read until its first <see cref="FileSnapshot{T}.GetCurrent"/>.</returns>
    public static FileSnapshot<TrustBundle> WatchTrustBundle(
        IReadOnlyList<string> paths,
        TimeProvider timeProvider,
        Action<TrustBundle> onChanged,
        Action<Exception> onReloadFailed,
        TimeSpan? checkInterval = null)
    {
        string[] files = [.. paths];
        return new(files, contents => TrustBundle.Parse(contents, files), checkInterval ?? DefaultCheckInterval, timeProvider, onChanged, onReloadFailed);
    }
}

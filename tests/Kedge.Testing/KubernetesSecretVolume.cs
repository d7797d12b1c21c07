using System.Security.Cryptography.X509Certificates;

namespace Kedge.Testing;

/// <summary>
/// Lays out certificate files the way the kubelet mounts a TLS secret: <c>tls.crt</c> and <c>tls.key</c> are symlinks to
/// <c>..data/tls.crt</c> and <c>..data/tls.key</c>, and <c>..data</c> is a symlink to a timestamped directory. An update
/// writes a new timestamped directory and swaps <c>..data</c> atomically with a rename, as the kubelet's atomic writer does.
/// </summary>
public sealed class KubernetesSecretVolume
{
    private int _generation;

    public KubernetesSecretVolume(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
    }

    public string Directory { get; }

    public string CertificatePath => Path.Combine(Directory, "tls.crt");

    public string KeyPath => Path.Combine(Directory, "tls.key");

    /// <summary>Writes a new version of the secret and swaps it in atomically.</summary>
    public void Update(X509Certificate2 certificate)
    {
        var generation = Interlocked.Increment(ref _generation);
        var versionDir = Path.Combine(Directory, $"..2026_11_29_{generation:D4}");
        TestCertificateAuthority.WritePem(certificate, versionDir);

        AtomicSymlink.Replace(Path.Combine(Directory, "..data"), Path.GetFileName(versionDir));

        if (!File.Exists(CertificatePath))
        {
            File.CreateSymbolicLink(CertificatePath, Path.Combine("..data", "tls.crt"));
            File.CreateSymbolicLink(KeyPath, Path.Combine("..data", "tls.key"));
        }
    }
}

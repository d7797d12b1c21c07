using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kedge.Client.Tls;

/// <summary>A loaded client certificate: the leaf (with its private key) and the context SslStream sends, with intermediates.</summary>
internal sealed class ClientCertificate
{
    private ClientCertificate(X509Certificate2 leaf, X509Certificate2Collection intermediates)
    {
        Leaf = leaf;
        Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true);
    }

    public X509Certificate2 Leaf { get; }

    public SslStreamCertificateContext Context { get; }

    /// <summary>Parses a PEM certificate file (leaf first, then any intermediates) and a PEM key file.</summary>
    public static ClientCertificate FromPem(byte[] certificatePem, byte[] keyPem)
    {
        var certText = Encoding.ASCII.GetString(certificatePem);
        var keyText = Encoding.ASCII.GetString(keyPem);

        // The same PEM parser as X509Certificate2.CreateFromPemFile, fed with the bytes this snapshot read, so the
        // certificate and key always come from one read of the files.
        var leaf = X509Certificate2.CreateFromPem(certText, keyText);
        var all = new X509Certificate2Collection();
        all.ImportFromPem(certText);
        var intermediates = new X509Certificate2Collection();
        foreach (var cert in all.Skip(1))
        {
            intermediates.Add(cert);
        }

        return new ClientCertificate(leaf, intermediates);
    }

    /// <summary>Parses a PKCS#12 (PFX) file.</summary>
    public static ClientCertificate FromPkcs12(byte[] pfx, string? password)
    {
        var all = X509CertificateLoader.LoadPkcs12Collection(pfx, password);
        var leaf = all.FirstOrDefault(c => c.HasPrivateKey)
            ?? throw new InvalidOperationException("The PFX file holds no certificate with a private key.");
        var intermediates = new X509Certificate2Collection();
        foreach (var cert in all)
        {
            if (!ReferenceEquals(cert, leaf))
            {
                intermediates.Add(cert);
            }
        }

        return new ClientCertificate(leaf, intermediates);
    }
}

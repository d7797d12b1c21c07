using System.Security.Cryptography.X509Certificates;
using Kedge.Client.Internal;
using Kedge.Client.Mapping;
using Kedge.Client.Tls;

namespace Kedge.Client.Configuration;

/// <summary>What <see cref="KedgeClientOptionsCompiler"/> makes of valid options.</summary>
internal sealed record CompiledKedgeClient(KedgeMapper Mapper, FileSnapshot<ClientCertificate>? ClientCertificate, FileSnapshot<X509ChainPolicy>? Trust);

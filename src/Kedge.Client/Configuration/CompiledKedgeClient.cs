using Kedge.Client.Mapping;
using Kedge.Common.Files;
using Kedge.Common.Tls;

namespace Kedge.Client.Configuration;

/// <summary>What <see cref="KedgeClientOptionsCompiler"/> makes of valid options.</summary>
internal sealed record CompiledKedgeClient(KedgeMapper Mapper, FileSnapshot<TlsCertificate>? ClientCertificate, FileSnapshot<TrustBundle>? Trust);

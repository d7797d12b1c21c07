using Grpc.Core;

namespace Kedge.Common;

/// <summary>One way kedge answers with an error type: the HTTP status, the gRPC status, and when.</summary>
/// <param name="HttpStatus">The HTTP status of a plain HTTP answer.</param>
/// <param name="GrpcStatus">The status of the trailers-only answer to a gRPC call.</param>
/// <param name="When">The situations that produce this answer.</param>
public sealed record KedgeErrorAnswer(int HttpStatus, StatusCode GrpcStatus, string When);

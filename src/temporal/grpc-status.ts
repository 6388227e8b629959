/** The gRPC status codes Orchestra tells apart in Temporal's answers (grpc-js's numbering). */
export const GrpcStatus = {
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  UNAVAILABLE: 14,
} as const;

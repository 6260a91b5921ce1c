import { composeMiddleware, type Middleware, type UnaryCall } from "@faultmaven/grpc-kit";

const call = {} as UnaryCall;

describe("composeMiddleware", () => {
  it("turns a step's synchronous throw into a rejection the outer steps see", async () => {
    const seen: unknown[] = [];
    const outer: Middleware = (current, next) =>
      next(current).catch((error: unknown) => {
        seen.push(error);
        throw error;
      });
    const throwing: Middleware = () => {
      throw new TypeError("bug");
    };
    await expect(composeMiddleware(outer, throwing)(call, async () => ({}))).rejects.toThrow("bug");
    expect(seen).toEqual([new TypeError("bug")]);
  });

  it("does the same for a last step (the handler) that throws synchronously", async () => {
    const pass: Middleware = (current, next) => next(current);
    const handler = (): Promise<object> => {
      throw new RangeError("handler bug");
    };
    await expect(composeMiddleware(pass)(call, handler)).rejects.toThrow("handler bug");
  });
});

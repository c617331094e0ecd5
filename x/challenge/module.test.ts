import * as protoLoader from "@grpc/proto-loader";
import { protoIncludeDirs } from "../../base/protoIncludes";
import { challengeModule } from "./module";
import { testSetup } from "./testutil";

describe("challenge module", () => {
  test("registers its messages and queries once each, and its proto files describe them (gRPC reflection)", async () => {
    const m = challengeModule(testSetup().k);
    expect(m.name).toBe("challenge");
    expect(m.msgHandlers?.map((h) => h.typeUrl)).toEqual([
      "/inferchain.challenge.v1.MsgChallenge",
      "/inferchain.challenge.v1.MsgCommitVerification",
      "/inferchain.challenge.v1.MsgRevealVerification",
      "/inferchain.challenge.v1.MsgAppeal",
      "/inferchain.challenge.v1.MsgUpdateParams",
      "/inferchain.challenge.v1.MsgRequestData",
      "/inferchain.challenge.v1.MsgProvideData",
    ]);
    expect(m.queries?.map((q) => q.path).sort()).toEqual([
      "/inferchain.challenge.v1.Query/Audits",
      "/inferchain.challenge.v1.Query/DaIncidents",
      "/inferchain.challenge.v1.Query/DataRequest",
      "/inferchain.challenge.v1.Query/DataRequests",
      "/inferchain.challenge.v1.Query/Dispute",
      "/inferchain.challenge.v1.Query/Disputes",
      "/inferchain.challenge.v1.Query/Params",
    ]);
    const pkg = await protoLoader.load([...(m.protoFiles ?? [])], { includeDirs: protoIncludeDirs(), keepCase: true });
    for (const p of m.queries?.map((q) => q.path) ?? []) {
      const [, service, method] = /^\/(.+)\/(\w+)$/.exec(p) ?? [];
      expect((pkg[service] as Record<string, unknown> | undefined)?.[method]).toBeDefined();
    }
    const msgService = pkg["inferchain.challenge.v1.Msg"] as Record<string, unknown>;
    for (const name of ["Challenge", "CommitVerification", "RevealVerification", "Appeal", "UpdateParams", "RequestData", "ProvideData"]) expect(msgService[name]).toBeDefined();
    expect(m.endBlock).toBeDefined();
    expect(m.beginBlock).toBeUndefined();
  });
});

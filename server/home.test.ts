import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PRUNING_DEFAULT } from "../base/store/pruning";
import { CliError } from "../client/errors";
import { paths, portsFor, setTomlValues } from "../client/home";
import { readAppConfig, writeAppConfig } from "./home";

describe("app.toml pruning", () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), "inferchain-home-"));
    fs.mkdirSync(paths(home).config);
    writeAppConfig(home, portsFor(0));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const edit = (values: Record<string, string>): void => {
    const file = paths(home).appConfig;
    fs.writeFileSync(file, setTomlValues(fs.readFileSync(file, "utf8"), values));
  };

  test("a new home prunes with the default strategy", () => {
    expect(readAppConfig(home).pruning).toEqual(PRUNING_DEFAULT);
  });

  test("custom reads keep-recent and interval; the named strategies ignore them", () => {
    edit({ pruning: "custom", "pruning-keep-recent": "5", "pruning-interval": "3" });
    expect(readAppConfig(home).pruning).toEqual({ strategy: "custom", keepRecent: 5, interval: 3 });
    edit({ pruning: "everything" });
    expect(readAppConfig(home).pruning).toEqual({ strategy: "everything", keepRecent: 2, interval: 10 });
    edit({ pruning: "nothing" });
    expect(readAppConfig(home).pruning.keepRecent).toBe(0);
  });

  test("a bad setting stops the node with the file and the reason", () => {
    edit({ pruning: "custom", "pruning-keep-recent": "1", "pruning-interval": "3" });
    expect(() => readAppConfig(home)).toThrow(CliError);
    expect(() => readAppConfig(home)).toThrow(/app\.toml: pruning-keep-recent must be at least 2/);
    edit({ pruning: "sometimes" });
    expect(() => readAppConfig(home)).toThrow(/pruning must be one of/);
  });

  test("a home written before pruning existed gets the default", () => {
    const file = paths(home).appConfig;
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/^pruning.*$/gm, ""));
    expect(readAppConfig(home).pruning).toEqual(PRUNING_DEFAULT);
  });
});

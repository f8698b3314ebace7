import { ManualClock, asClock, systemClock } from "./clock";

describe("ManualClock timers", () => {
  it("advance fires what falls due, in time order, each at its own time; cleared ones never", () => {
    const clock = new ManualClock(new Date(0));
    const fired: Array<[string, number]> = [];
    const note = (name: string) => () => fired.push([name, clock.now().getTime()]);
    clock.setTimeout(note("b"), 200);
    clock.setTimeout(note("a"), 100);
    clock.setTimeout(note("a2"), 100);
    clock.setTimeout(note("cleared"), 150).clear();
    clock.setTimeout(note("late"), 1000);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(400);
    expect(fired).toEqual([
      ["a", 100],
      ["a2", 100],
      ["b", 200],
    ]);
    expect(clock.now().getTime()).toBe(499);
    expect(clock.pending).toBe(1);
  });

  it("a timer set while firing fires in the same advance when it falls within it", () => {
    const clock = new ManualClock(new Date(0));
    const times: number[] = [];
    const every = () => {
      times.push(clock.now().getTime());
      clock.setTimeout(every, 60);
    };
    clock.setTimeout(every, 60);
    clock.advance(200);
    expect(times).toEqual([60, 120, 180]);
    expect(clock.pending).toBe(1);
  });
});

describe("system clock timers", () => {
  it("are real timers that do not hold the process open, and can be cleared", async () => {
    const fired: string[] = [];
    systemClock.setTimeout(() => fired.push("cleared"), 5).clear();
    await new Promise<void>((resolve) =>
      systemClock.setTimeout(() => {
        fired.push("ran");
        resolve();
      }, 5),
    );
    expect(fired).toEqual(["ran"]);
  });

  it("a bare source of the time gets real timers", async () => {
    const skewed = asClock({ now: () => new Date(Date.now() + 3_600_000) });
    expect(skewed.now().getTime()).toBeGreaterThan(Date.now() + 3_000_000);
    await new Promise<void>((resolve) => skewed.setTimeout(resolve, 5));
  });
});

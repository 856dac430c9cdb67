/** Unmounts what each component test rendered, so tests never see each other's DOM. */
import { cleanup } from "@solidjs/testing-library";
import { afterEach } from "vitest";

afterEach(() => cleanup());

// What hub staff do on the tablets: start pick waves, pick and pack by scanning, print labels, hand
// parcels to couriers, report exceptions; each part has its own file, and this is the one object
// the routes use. Every action is checked against the staff member's hub; bad scans change nothing.
import type { Actor } from '../accounts/actor.ts';
import { CourierHandover } from './handover.ts';
import { HubExceptions } from './hub-exceptions.ts';
import type { HubServiceDeps } from './hub-floor.ts';
import { HubOverview } from './hub-overview.ts';
import { LabelPrinting } from './label-printing.ts';
import type { HandoverManifest } from './labels/handover-manifest.ts';
import { ParcelPacking } from './packing.ts';
import { PickWaves } from './pick-waves.ts';

export type { HubServiceDeps } from './hub-floor.ts';
export { MAX_PARCEL_GRAMS, MIN_PARCEL_GRAMS } from './packing.ts';

export class HubService {
  private readonly screen: HubOverview;
  private readonly waves: PickWaves;
  private readonly packing: ParcelPacking;
  private readonly labels: LabelPrinting;
  private readonly handover: CourierHandover;
  private readonly exceptions: HubExceptions;

  constructor(deps: HubServiceDeps) {
    this.screen = new HubOverview(deps);
    this.waves = new PickWaves(deps);
    this.packing = new ParcelPacking(deps);
    this.labels = new LabelPrinting(deps);
    this.handover = new CourierHandover(deps);
    this.exceptions = new HubExceptions(deps);
  }

  overview(actor: Actor | undefined) {
    return this.screen.overview(actor);
  }

  startWave(actor: Actor | undefined, raw: unknown) {
    return this.waves.startWave(actor, raw);
  }

  pickList(actor: Actor | undefined, waveNo: string) {
    return this.waves.pickList(actor, waveNo);
  }

  scanPick(actor: Actor | undefined, waveNo: string, raw: unknown) {
    return this.waves.scanPick(actor, waveNo, raw);
  }

  parcel(actor: Actor | undefined, parcelNo: string) {
    return this.packing.parcel(actor, parcelNo);
  }

  scanPack(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.packing.scanPack(actor, parcelNo, raw);
  }

  finishPacking(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.packing.finishPacking(actor, parcelNo, raw);
  }

  label(actor: Actor | undefined, parcelNo: string): Promise<Buffer> {
    return this.labels.label(actor, parcelNo);
  }

  voidLabel(actor: Actor | undefined, parcelNo: string) {
    return this.labels.voidLabel(actor, parcelNo);
  }

  manifest(actor: Actor | undefined, courierCode: string, signedNo?: string) {
    return this.handover.manifest(actor, courierCode, signedNo);
  }

  manifestPdf(manifest: HandoverManifest): Promise<Buffer> {
    return this.handover.manifestPdf(manifest);
  }

  manifestCsv(manifest: HandoverManifest): string {
    return this.handover.manifestCsv(manifest);
  }

  signOffManifest(actor: Actor | undefined, courierCode: string, raw: unknown) {
    return this.handover.signOffManifest(actor, courierCode, raw);
  }

  reportException(actor: Actor | undefined, parcelNo: string, raw: unknown) {
    return this.exceptions.reportException(actor, parcelNo, raw);
  }

  fixHeldAddress(actor: Actor | undefined, orderNo: string, raw: unknown) {
    return this.exceptions.fixHeldAddress(actor, orderNo, raw);
  }
}

// Registered producers as the hub reads them when it receives a batch. The hub calls these,
// never the producer model (`npm run lint` checks).
import { ProducerModel } from './producer.model.ts';

/** Every producer's code and name, by name (the receiving form's list). */
export function producerChoices() {
  return ProducerModel.find({}, { registrationCode: 1, name: 1 }).sort({ name: 1 }).lean();
}

export function producerByRegistrationCode(registrationCode: string) {
  return ProducerModel.findOne({ registrationCode }).lean();
}

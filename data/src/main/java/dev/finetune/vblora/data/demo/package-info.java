/** The built-in demo sentiment data set, written for this project. */
package dev.finetune.vblora.data.demo;
